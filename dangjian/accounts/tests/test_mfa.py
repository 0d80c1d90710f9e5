"""Multi-factor authentication (SECURITY.md AUTH-07, AUTH-08): enrolment, the code step after the
password, replay, drift, throttling, recovery codes, enforcement, reset, tokens, demo switch."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts import mfa
from dangjian.accounts.checks import check_mfa_required
from dangjian.accounts.models import MfaDevice, MfaRecoveryCode, Role, RoleAssignment, User
from dangjian.accounts.services import security_rule_update
from dangjian.accounts.tests.conftest import login
from dangjian.audit.models import AuditEvent
from dangjian.core.crypto import InvalidTag, open_sealed
from dangjian.core.models import Rule
from dangjian.core.scope import SYSTEM
from dangjian.core.testing import ROLES

ENROL = reverse("accounts:mfa_enrol")
VERIFY = reverse("accounts:mfa_verify")
HOME = reverse("dashboard:home")
REQUIRED = {"shuji", "zuzhi", "union", "secretary_a", "worker_a", "sysadmin", "secadmin", "auditor"}
T0 = dt.datetime(2026, 3, 2, 9, 0, 5, tzinfo=dt.UTC)  # 5 s into a 30 s step


def events(kind: str, user: User | None = None) -> list[AuditEvent]:
    qs = AuditEvent.objects.filter(event_type=kind)
    if user is not None:
        qs = qs.filter(object_type="accounts.user", object_id=str(user.pk))
    return list(qs.order_by("id"))


def enrol(user: User, step: int | None = None) -> tuple[MfaDevice, list[str]]:
    """Enrol through the services; returns the device and its recovery codes."""
    device = mfa.mfa_enrol_begin(user=user)
    result = mfa.mfa_enrol_confirm(user=user, code=mfa.device_code(device, step))
    assert result.ok, result.message
    device.refresh_from_db()
    return device, result.recovery_codes


def fresh_code(device: MfaDevice) -> str:
    device.refresh_from_db()
    return mfa.device_code(device, max(mfa.current_step(), device.last_step + 1))


# --- enrolment -----------------------------------------------------------------------------


def test_enrolment_with_qr_code_completes_only_after_a_correct_code(accounts):
    client = Client()
    response = login(client, "secretary_a", otp=False)
    assert response.status_code == 302 and response["Location"] == HOME
    home = client.get(HOME)
    assert home.status_code == 302 and home["Location"].startswith(ENROL)

    page = client.get(ENROL)
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    body = page.content.decode()
    assert 'src="data:image/svg+xml' in body
    uri = page.context["uri"]
    assert uri.startswith("otpauth://totp/") and "period=30" in uri and "digits=6" in uri
    secret = page.context["secret"].replace(" ", "")
    assert secret in body.replace(" ", "")
    assert re.search(r"secret=([A-Z2-7]+)", uri).group(1) == secret  # type: ignore[union-attr]

    wrong = client.post(ENROL, {"code": "000000" if secret else ""})
    device = MfaDevice.objects.get(user__username="secretary_a")
    if wrong.status_code == 200:  # the astronomically unlikely right guess
        pytest.skip("000000 happened to be the current code")
    assert wrong.status_code == 400 and "动态口令错误" in wrong.content.decode()
    assert device.confirmed_at is None
    assert client.get(HOME).status_code == 302  # still not through

    padded = secret + "=" * (-len(secret) % 8)
    code = mfa.code_for(base64.b32decode(padded), mfa.current_step())
    done = client.post(ENROL, {"code": code})
    assert done.status_code == 200 and done["Cache-Control"] == "no-store"
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes)
    device.refresh_from_db()
    assert device.confirmed_at is not None
    assert client.get(HOME).status_code == 200
    user = accounts.users["secretary_a"]
    enrolled = events("mfa_enrol", user)
    assert len(enrolled) == 1 and enrolled[0].actor_name == "secretary_a"
    assert len(events("mfa_failure", user)) == 1


def test_secret_is_sealed_and_bound_to_its_user_row(accounts):
    device, codes = enrol(accounts.users["shuji"])
    secret = mfa.secret_text(device).replace(" ", "")
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret_sealed FROM accounts_mfadevice WHERE id = %s", [device.pk])
        raw = bytes(cursor.fetchone()[0])
    assert secret.encode() not in raw and base64.b32decode(secret) not in raw
    other = accounts.users["zuzhi"]
    with pytest.raises(InvalidTag):  # the sealed secret copied to another user does not open
        open_sealed(raw, f"accounts.mfadevice:{other.pk}:secret")
    stored = list(MfaRecoveryCode.objects.filter(device=device).values_list("code_hash", flat=True))
    assert len(stored) == 10
    for code in codes:
        assert all(code.replace("-", "") not in value for value in stored)


def test_an_enrolled_user_cannot_rebind_without_the_second_factor(accounts):
    enrol(accounts.users["shuji"])
    client = Client()
    login(client, "shuji", otp=False)
    response = client.get(ENROL)
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    with pytest.raises(ValidationError):
        mfa.mfa_enrol_begin(user=accounts.users["shuji"])


# --- the code step ----------------------------------------------------------------------------


def test_login_of_an_enrolled_user_asks_for_the_code_and_rotates_the_session(accounts):
    device, _ = enrol(accounts.users["secretary_a"])
    client = Client()
    login(client, "secretary_a", otp=False)
    people = "/people/"
    response = client.get(people)
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Fpeople%2F"
    api = client.get("/api/v1/me")
    assert api.status_code == 403 and "多因素认证" in api.json()["detail"]
    hx = client.get(people, HTTP_HX_REQUEST="true")
    assert hx.status_code == 204 and hx["HX-Redirect"] == VERIFY
    key_before = client.session.session_key
    done = client.post(VERIFY, {"code": fresh_code(device), "next": people})
    assert done.status_code == 302 and done["Location"] == people
    assert client.session.session_key != key_before
    assert client.get("/api/v1/me").status_code == 200
    assert len(events("mfa_verify", accounts.users["secretary_a"])) == 1


def test_a_code_is_accepted_only_once(accounts):
    user = accounts.users["shuji"]
    with time_machine.travel(T0, tick=False):
        device, _ = enrol(user, mfa.current_step() - 1)
        code = mfa.device_code(device)
        first, second = Client(), Client()
        login(first, "shuji", otp=False)
        assert first.post(VERIFY, {"code": code}).status_code == 302
        login(second, "shuji", otp=False)
        replay = second.post(VERIFY, {"code": code})
    assert replay.status_code == 400
    assert "已使用" in replay.content.decode()
    assert second.get(HOME).status_code == 302
    failure = events("mfa_failure", user)[-1]
    assert "重放" in failure.reason and failure.outcome == "failure"


@pytest.mark.parametrize(("offset", "accepted"), [(-2, False), (-1, True), (1, True), (2, False)])
def test_drift_of_one_step_either_way(accounts, offset, accepted):
    user = accounts.users["shuji"]
    with time_machine.travel(T0 - dt.timedelta(minutes=5), tick=False):
        device, _ = enrol(user)  # long before: no step of the window below is used
    with time_machine.travel(T0, tick=False):
        code = mfa.device_code(device, mfa.current_step() + offset)
        if code == mfa.device_code(device):
            pytest.skip("codes of two steps coincide")
        assert mfa.mfa_verify(user=user, code=code).ok is accepted


def test_ten_wrong_codes_are_throttled_and_the_lock_expires(accounts):
    user = accounts.users["shuji"]
    assert Rule.objects.get(key="security.mfa_failures").value == 5
    with time_machine.travel(T0, tick=False):
        device, _ = enrol(user)
        client = Client()
        login(client, "shuji", otp=False)
        good = mfa.device_code(device, mfa.current_step() + 1)
        wrong = next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" != good)
        statuses = [client.post(VERIFY, {"code": wrong}).status_code for _ in range(10)]
        assert statuses == [400, 400, 400, 400, 429, 429, 429, 429, 429, 429]
        locked = client.post(VERIFY, {"code": good})
        assert locked.status_code == 429 and "锁定" in locked.content.decode()
        assert client.get(HOME).status_code == 302
    with time_machine.travel(T0 + dt.timedelta(minutes=14, seconds=50), tick=False):
        code = mfa.device_code(device)
        assert mfa.mfa_verify(user=user, code=code).locked
    with time_machine.travel(T0 + dt.timedelta(minutes=15, seconds=1), tick=False):
        client = Client()
        login(client, "shuji", otp=False)
        assert client.post(VERIFY, {"code": mfa.device_code(device)}).status_code == 302
    assert len(events("mfa_failure", user)) == 12  # 10 wrong + 2 tries while locked


def test_the_failure_limit_is_a_rule(accounts):
    user = accounts.users["shuji"]
    security_rule_update(actor=SYSTEM, key="security.mfa_failures", value="3")
    device, _ = enrol(user)
    good = fresh_code(device)
    wrong = "123456" if good != "123456" else "654321"
    results = [mfa.mfa_verify(user=user, code=wrong) for _ in range(3)]
    assert [r.locked for r in results] == [False, False, True]
    assert mfa.mfa_verify(user=user, code=good).ok is False


def test_recovery_code_works_once(accounts):
    user = accounts.users["sysadmin"]
    _, codes = enrol(user)
    first = Client()
    login(first, "sysadmin", otp=False)
    response = first.post(VERIFY, {"code": codes[0].upper(), "kind": "recovery"})
    assert response.status_code == 302 and first.get(HOME).status_code == 200
    used = events("mfa_recovery_used", user)
    assert len(used) == 1 and used[0].changes["remaining"] == 9
    second = Client()
    login(second, "sysadmin", otp=False)
    again = second.post(VERIFY, {"code": codes[0], "kind": "recovery"})
    assert again.status_code == 400 and "恢复码错误或已使用" in again.content.decode()
    assert second.post(VERIFY, {"code": codes[1], "kind": "recovery"}).status_code == 302
    assert mfa.recovery_codes_left(user) == 8


def test_regenerated_recovery_codes_replace_the_old_ones(accounts):
    user = accounts.users["shuji"]
    _, old = enrol(user)
    client = accounts.client("shuji")
    page = client.post(reverse("accounts:mfa_recovery"))
    new = page.context["codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert not mfa.mfa_verify(user=user, code=old[0]).ok
    assert mfa.mfa_verify(user=user, code=new[0]).ok
    assert len(events("mfa_recovery_regenerate", user)) == 1


# --- who must use it --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_who_must_use_mfa(accounts, role):
    user = accounts.users[role]
    assert mfa.mfa_required(user) is (role in REQUIRED)
    client = Client()
    login(client, role, otp=False)
    response = client.get(HOME)
    if role in REQUIRED:
        assert response.status_code == 302 and response["Location"].startswith(ENROL)
    else:
        assert response.status_code == 200


def test_rule_off_requires_nobody_but_enrolled_users_still_verify(accounts):
    security_rule_update(actor=SYSTEM, key="security.mfa_required", value="否")
    assert not any(mfa.mfa_required(u) for u in accounts.users.values())
    client = Client()
    login(client, "secadmin", otp=False)
    assert client.get(HOME).status_code == 200
    enrol(accounts.users["shuji"])
    login(client, "shuji", otp=False)
    assert client.get(HOME)["Location"].startswith(VERIFY)


def test_optional_enrolment_and_switching_it_off(accounts):
    client = Client()
    login(client, "employee_a", otp=False)
    settings_page = client.get(reverse("accounts:mfa_settings"))
    assert settings_page.status_code == 200 and "建议启用" in settings_page.content.decode()
    client.get(ENROL)
    device = MfaDevice.objects.get(user__username="employee_a")
    assert client.post(ENROL, {"code": mfa.device_code(device)}).status_code == 200
    again = Client()
    login(again, "employee_a", otp=False)
    assert again.get(HOME)["Location"].startswith(VERIFY)  # enrolled: asked every login
    assert again.post(VERIFY, {"code": fresh_code(device)}).status_code == 302
    assert again.post(reverse("accounts:mfa_disable")).status_code == 302
    assert not MfaDevice.objects.filter(user__username="employee_a").exists()
    reset = events("mfa_reset", accounts.users["employee_a"])
    assert len(reset) == 1 and reset[0].actor_name == "employee_a"


def test_required_user_cannot_switch_mfa_off(accounts):
    enrol(accounts.users["shuji"])
    client = accounts.client("shuji")
    client.post(reverse("accounts:mfa_disable"))
    assert MfaDevice.objects.filter(user__username="shuji").exists()
    assert not events("mfa_reset")


def test_a_role_with_reveal_granted_mid_session_asks_for_mfa_at_once(accounts):
    client = Client()
    login(client, "employee_a", otp=False)
    assert client.get(HOME).status_code == 200
    RoleAssignment.objects.create(
        user=accounts.users["employee_a"],
        role=Role.objects.get(code="branch_secretary"),
        party_org=accounts.branch_a,
    )
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith(ENROL)


def test_bearer_tokens_are_exempt_but_unverified_sessions_are_not(accounts):
    from dangjian.accounts.tokens import token_issue

    _, raw = token_issue(actor=SYSTEM, user=accounts.users["shuji"])
    client = Client()
    login(client, "shuji", otp=False)
    assert client.get("/api/v1/me").status_code == 403
    with_token = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert with_token.status_code == 200 and with_token.json()["username"] == "shuji"


def test_logout_and_static_pages_stay_reachable_before_the_code(accounts):
    enrol(accounts.users["shuji"])
    client = Client()
    login(client, "shuji", otp=False)
    assert client.get("/healthz").status_code == 200
    assert client.get(reverse("accounts:logout")).status_code == 200
    assert client.get(VERIFY).status_code == 200
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(HOME)["Location"].startswith(reverse("accounts:login"))


# --- security administrator -------------------------------------------------------------------


def test_security_admin_resets_a_users_mfa(accounts):
    user = accounts.users["shuji"]
    enrol(user)
    victim = accounts.client("shuji")
    assert victim.get(HOME).status_code == 200
    url = reverse("accounts:mfa_admin_reset", args=[user.pk])
    for persona in ("sysadmin", "auditor", "shuji", "secretary_a"):
        assert accounts.client(persona).post(url).status_code == 403
    assert MfaDevice.objects.filter(user=user).exists()
    secadmin = accounts.client("secadmin")
    response = secadmin.post(url, {"reason": "更换手机"})
    assert response.status_code == 302
    assert not MfaDevice.objects.filter(user=user).exists()
    assert victim.get(HOME)["Location"].startswith(reverse("accounts:login"))  # sessions ended
    reset = events("mfa_reset", user)
    assert len(reset) == 1 and reset[0].actor_name == "secadmin" and reset[0].reason == "更换手机"
    missing = reverse("accounts:mfa_admin_reset", args=[987654321])
    assert secadmin.post(missing).status_code == 404
    assert secadmin.post(url).status_code == 302 and len(events("mfa_reset", user)) == 1


@pytest.mark.parametrize("role", ROLES)
def test_mfa_admin_page_only_for_the_security_admin(accounts, role):
    response = accounts.client(role).get(reverse("accounts:mfa_admin"))
    assert response.status_code == (200 if role == "secadmin" else 403)
    settings_page = accounts.client(role).get(reverse("accounts:mfa_settings"))
    assert settings_page.status_code == 200


def test_mfa_admin_list_filters_and_flat_query_count(accounts, django_assert_max_num_queries):
    enrol(accounts.users["shuji"])
    mfa.mfa_enrol_begin(user=accounts.users["zuzhi"])
    client = accounts.client("secadmin")
    url = reverse("accounts:mfa_admin")
    names = lambda r: sorted(u.username for u in r.context["listing"].page.object_list)  # noqa: E731
    assert names(client.get(url, {"status": "enrolled"})) == ["shuji"]
    assert names(client.get(url, {"status": "pending"})) == ["zuzhi"]
    assert "shuji" not in names(client.get(url, {"status": "none"}))
    assert names(client.get(url, {"status": "admin"})) == ["auditor", "secadmin", "sysadmin"]
    fragment = client.get(url, {"q": "shuji"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and 'id="mfa-table"' in fragment and "已启用" in fragment

    def count() -> int:
        from django.db import connection as conn
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(conn) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    for n in range(30):
        extra = User.objects.create(username=f"bulk{n:03d}", password="x")
        if n % 2:
            enrol(extra)
    assert count() == small


def test_mfa_switch_is_a_security_rule_with_clear_errors(accounts):
    client = accounts.client("secadmin")
    url = reverse("accounts:security_rules")
    bad = client.post(url, {"key": "security.mfa_required", "value": "也许"})
    assert bad.status_code == 400 and "请输入 是 或 否" in bad.content.decode()
    assert client.post(url, {"key": "security.mfa_required", "value": "0"}).status_code == 302
    assert Rule.objects.get(key="security.mfa_required").value is False
    change = AuditEvent.objects.filter(event_type="rule_change").latest("id")
    assert change.changes == {"security.mfa_required": [True, False]}
    low = client.post(url, {"key": "security.mfa_failures", "value": "2"})
    assert low.status_code == 400


def test_check_deploy_warns_while_mfa_is_off(accounts):
    assert check_mfa_required() == []
    security_rule_update(actor=SYSTEM, key="security.mfa_required", value="false")
    warnings = check_mfa_required()
    assert [w.id for w in warnings] == ["dangjian.W103"]
    assert "未强制多因素认证" in warnings[0].msg


def test_enrolment_secret_changes_only_when_restarted(accounts):
    user = accounts.users["shuji"]
    first = mfa.mfa_enrol_begin(user=user)
    again = mfa.mfa_enrol_begin(user=user)
    assert first.pk == again.pk and mfa.secret_text(first) == mfa.secret_text(again)
    assert len(mfa.secret_text(first).replace(" ", "")) == 32  # 160 bits
    assert timezone.now() >= first.created_at


def test_demo_switches_mfa_off_and_says_so(accounts, capsys):
    import inspect

    from dangjian.demo import mine as demo_mine

    assert "switch_mfa_off_for_demo()" in inspect.getsource(demo_mine.load_demo_mine)
    assert check_mfa_required() == []
    demo_mine.switch_mfa_off_for_demo()
    assert demo_mine.MFA_OFF_NOTICE in capsys.readouterr().out
    assert Rule.objects.get(key="security.mfa_required").value is False
    assert [w.id for w in check_mfa_required()] == ["dangjian.W103"]
    change = AuditEvent.objects.filter(event_type="rule_change").latest("id")
    assert (
        change.changes == {"security.mfa_required": [True, False]} and change.actor_name == "system"
    )
    client = Client()
    login(client, "shuji", otp=False)
    assert client.get(HOME).status_code == 200  # no authenticator needed in the demo


def test_htmx_fragments_on_the_mfa_page_do_not_redirect_it_in_a_loop(accounts):
    client = Client()
    login(client, "secretary_a", otp=False)
    on_enrol = client.get(
        "/people/", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=f"http://testserver{ENROL}?next=/"
    )
    assert on_enrol.status_code == 204 and "HX-Redirect" not in on_enrol
    elsewhere = client.get(
        "/people/", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://testserver/people/"
    )
    assert elsewhere.status_code == 204 and elsewhere["HX-Redirect"] == ENROL
