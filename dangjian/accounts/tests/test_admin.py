"""The three administrators (AC-05): pages × personas, account and role services, audit."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts import checks, services
from dangjian.accounts.models import AdminRole, Role, RoleAssignment, User
from dangjian.accounts.tests.conftest import GOOD, fresh, login
from dangjian.audit.models import AuditEvent
from dangjian.core.models import Rule
from dangjian.core.scope import SYSTEM
from dangjian.core.testing import ROLES

SYSTEM_PAGES = ["accounts:account_list", "accounts:account_create"]
SECURITY_PAGES = [
    "accounts:role_assignments",
    "accounts:account_locks",
    "accounts:session_admin",
    "accounts:security_rules",
]


@pytest.mark.parametrize("persona", ROLES)
def test_admin_pages_by_persona(accounts, persona):
    client = accounts.client(persona)
    for name in SYSTEM_PAGES:
        expected = 200 if persona == "sysadmin" else 403
        assert client.get(reverse(name)).status_code == expected, (persona, name)
    for name in SECURITY_PAGES:
        expected = 200 if persona == "secadmin" else 403
        assert client.get(reverse(name)).status_code == expected, (persona, name)
    assert client.get(reverse("accounts:my_sessions")).status_code == 200


@pytest.mark.parametrize("persona", [p for p in ROLES if p != "sysadmin"])
def test_account_actions_refused_to_others(accounts, persona):
    target = accounts.users["employee_a"]
    client = accounts.client(persona)
    for name in ("account_disable", "account_enable", "account_reset_password"):
        assert client.post(reverse(f"accounts:{name}", args=[target.pk])).status_code == 403
    assert client.post(reverse("accounts:account_create"), {"username": "x123"}).status_code == 403
    assert fresh(target).is_active


def test_anonymous_gets_login_redirect(db):
    for name in [*SYSTEM_PAGES, *SECURITY_PAGES]:
        response = Client().get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_system_admin_creates_account_with_one_time_password(accounts):
    client = accounts.client("sysadmin")
    response = client.post(
        reverse("accounts:account_create"), {"username": "zhangsan", "display_name": "张三"}
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    secret = response.context["secret"]
    assert secret in response.content.decode()
    user = User.objects.get(username="zhangsan")
    assert user.must_change_password and user.check_password(secret)
    assert not user.admin_role and not user.role_assignments.exists()
    event = AuditEvent.objects.get(event_type="account_create", object_id=str(user.pk))
    assert event.actor_name == "sysadmin"
    assert secret not in str(event.changes)
    # new user: forced to change at first login
    assert login(Client(), "zhangsan", secret)["Location"] == reverse("accounts:password_change")


@pytest.mark.parametrize("username", ["ZhangSan", "admin", "Root", "a", "bad name"])
def test_account_create_rejects_bad_usernames(accounts, username):
    User.objects.create(username="zhangsan")
    response = accounts.client("sysadmin").post(
        reverse("accounts:account_create"), {"username": username}
    )
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    assert User.objects.filter(username__iexact=username).count() == (
        1 if username.lower() == "zhangsan" else 0
    )


def test_disable_enable_and_reset(accounts):
    client = accounts.client("sysadmin")
    target = accounts.users["worker_a"]
    client.post(reverse("accounts:account_disable", args=[target.pk]))
    assert not fresh(target).is_active
    assert login(Client(), "worker_a").status_code == 200  # refused, generic message
    client.post(reverse("accounts:account_enable", args=[target.pk]))
    assert fresh(target).is_active and fresh(target).enabled_at is not None
    response = client.post(reverse("accounts:account_reset_password", args=[target.pk]))
    secret = response.context["secret"]
    target = fresh(target)
    assert target.must_change_password and target.check_password(secret)
    kinds = list(
        AuditEvent.objects.filter(object_id=str(target.pk), actor_name="sysadmin")
        .order_by("id")
        .values_list("event_type", flat=True)
    )
    assert kinds == ["account_disable", "account_enable", "password_reset"]


def test_system_admin_cannot_disable_self(accounts):
    admin = accounts.users["sysadmin"]
    with pytest.raises(ValidationError):
        services.account_disable(actor=admin, user=admin)


def test_account_create_of_an_administrator_only_by_the_system(accounts):
    with pytest.raises(PermissionDenied):
        services.account_create(
            actor=accounts.users["sysadmin"], username="sec2", admin_role=AdminRole.SECURITY
        )
    user, _ = services.account_create(actor=SYSTEM, username="sec2", admin_role="security")
    assert user.admin_role == "security"


def test_role_grant_and_revoke_audited_and_immediate(accounts):
    newcomer, _ = services.account_create(
        actor=SYSTEM, username="newsec", password=GOOD, must_change_password=False
    )
    person_url = reverse("people:detail", args=[accounts.member_a.pk])
    user_client = Client()
    login(user_client, "newsec")
    assert user_client.get(person_url).status_code in (403, 404)

    secadmin = accounts.client("secadmin")
    role = Role.objects.get(code="branch_secretary")
    response = secadmin.post(
        reverse("accounts:role_assignments"),
        {"username": "NEWSEC", "role": role.pk, "party_org": accounts.branch_a.pk},
    )
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(user=newcomer)
    grant = AuditEvent.objects.get(event_type="role_grant")
    assert grant.actor_name == "secadmin" and grant.changes["role"] == [None, "branch_secretary"]
    assert user_client.get(person_url).status_code == 200  # next request, same session

    assert secadmin.post(reverse("accounts:role_revoke", args=[assignment.pk])).status_code == 302
    assert not RoleAssignment.objects.filter(user=newcomer).exists()
    assert AuditEvent.objects.filter(event_type="role_revoke", actor_name="secadmin").exists()
    assert user_client.get(person_url).status_code in (403, 404)


def test_role_grant_to_an_administrator_refused(accounts):
    role = Role.objects.get(code="branch_secretary")
    for admin in ("sysadmin", "secadmin", "auditor"):
        with pytest.raises(ValidationError, match="三员"):
            services.role_grant(
                actor=accounts.users["secadmin"],
                user=accounts.users[admin],
                role=role,
                party_org=accounts.branch_a,
            )
    response = accounts.client("secadmin").post(
        reverse("accounts:role_assignments"),
        {"username": "auditor", "role": role.pk, "party_org": accounts.branch_a.pk},
    )
    assert response.status_code == 400
    assert not RoleAssignment.objects.filter(user__admin_role__gt="").exists()


def test_admin_role_refused_for_business_role_holders(accounts):
    with pytest.raises(ValidationError, match="三员分立"):
        services.admin_role_set(
            actor=accounts.users["secadmin"],
            user=accounts.users["secretary_a"],
            admin_role=AdminRole.AUDIT,
        )
    assert fresh(accounts.users["secretary_a"]).admin_role == ""
    plain, _ = services.account_create(actor=SYSTEM, username="plain01")
    services.admin_role_set(actor=accounts.users["secadmin"], user=plain, admin_role="audit")
    assert fresh(plain).admin_role == "audit"
    assert AuditEvent.objects.filter(event_type="permission_change").exists()


def test_role_grant_rules(accounts):
    actor = accounts.users["secadmin"]
    user = accounts.users["employee_a"]
    dept_role = Role.objects.get(code="dept_staff")
    with pytest.raises(ValidationError, match="政工部门"):
        services.role_grant(actor=actor, user=user, role=dept_role, party_org=accounts.committee)
    subtree = Role.objects.get(code="branch_secretary")
    with pytest.raises(ValidationError, match="组织节点"):
        services.role_grant(actor=actor, user=user, role=subtree)
    services.role_grant(actor=actor, user=user, role=subtree, party_org=accounts.branch_a)
    with pytest.raises(ValidationError, match="已存在"):
        services.role_grant(actor=actor, user=user, role=subtree, party_org=accounts.branch_a)
    with pytest.raises(PermissionDenied):
        services.role_grant(
            actor=accounts.users["sysadmin"], user=user, role=subtree, party_org=accounts.branch_b
        )


def test_unlock_by_security_admin_only(accounts):
    for i in range(5):
        login(Client(), "worker_a", f"Wrong-{i}")
    target = accounts.users["worker_a"]
    assert fresh(target).locked_until is not None
    with pytest.raises(PermissionDenied):
        services.account_unlock(actor=accounts.users["sysadmin"], user=target)
    client = accounts.client("secadmin")
    assert "worker_a" in client.get(reverse("accounts:account_locks")).content.decode()
    client.post(reverse("accounts:account_locks"), {"user": target.pk})
    assert fresh(target).locked_until is None
    assert AuditEvent.objects.filter(event_type="unlock", actor_name="secadmin").count() == 1
    assert login(Client(), "worker_a").status_code == 302


def test_security_rules_edit_and_retention_floor(accounts):
    client = accounts.client("secadmin")
    url = reverse("accounts:security_rules")
    response = client.post(url, {"key": "security.lockout_failures", "value": "4"})
    assert response.status_code == 302
    assert Rule.objects.get(key="security.lockout_failures").value == 4
    event = AuditEvent.objects.get(event_type="rule_change")
    assert event.changes == {"security.lockout_failures": [5, 4]}
    refused = client.post(url, {"key": "security.audit_retention_days", "value": "183"})
    assert refused.status_code == 400
    assert "184" in refused.content.decode()
    assert Rule.objects.get(key="security.audit_retention_days").value == 365
    assert (
        client.post(url, {"key": "security.audit_retention_days", "value": "184"}).status_code
        == 302
    )
    assert client.post(url, {"key": "org.term_years", "value": "5"}).status_code == 400
    # the new lockout threshold applies at once
    statuses = [login(Client(), "shuji", f"Wrong-{i}").status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_security_admin_sees_no_person_data(accounts):
    client = accounts.client("secadmin")
    page = client.get(reverse("accounts:role_assignments")).content.decode()
    assert accounts.member_a.name not in page
    assert client.get(reverse("people:detail", args=[accounts.member_a.pk])).status_code in (
        403,
        404,
    )


def test_checks_reserved_demo_and_superusers(accounts, settings):
    assert checks.check_reserved_usernames() == []
    assert checks.check_demo_accounts() == []
    User.objects.create(username="Admin", is_demo=True, is_superuser=True)
    assert [m.id for m in checks.check_reserved_usernames()] == ["dangjian.W101"]
    demo = checks.check_demo_accounts()
    assert demo[0].id == "dangjian.W102" and "演示账户仍存在" in demo[0].msg
    settings.PRODUCTION = False
    assert checks.check_superusers() == []
    settings.PRODUCTION = True
    errors = checks.check_superusers()
    assert errors and errors[0].id == "dangjian.E101" and errors[0].is_serious()
    User.objects.filter(username="Admin").update(is_active=False)
    assert checks.check_superusers() == []


def test_disable_inactive_command(accounts):
    start = timezone.now()
    User.objects.update(last_login=start)
    with time_machine.travel(start + dt.timedelta(days=89), tick=False):
        assert login(Client(), "shuji").status_code == 302  # shuji used the system on day 89
    with time_machine.travel(start + dt.timedelta(days=90, minutes=1), tick=False):
        out = StringIO()
        call_command("disable_inactive", stdout=out)
    disabled = set(User.objects.filter(is_active=False).values_list("username", flat=True))
    assert "shuji" not in disabled
    assert disabled == set(accounts.users) - {"shuji"}
    assert "共停用 9 个" in out.getvalue()
    assert AuditEvent.objects.filter(event_type="account_disable", actor_name="system").count() == 9
    with time_machine.travel(start + dt.timedelta(days=89, hours=23), tick=False):
        call_command("disable_inactive", stdout=StringIO())
    assert User.objects.get(username="shuji").is_active
