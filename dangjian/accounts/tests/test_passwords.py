"""Password policy (AUTH-02), history (AUTH-03), expiry and forced change (AUTH-04)."""

from __future__ import annotations

import datetime as dt
import itertools
import string

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from dangjian.accounts import services
from dangjian.accounts.models import PasswordHistory, User
from dangjian.accounts.passwords import character_classes
from dangjian.accounts.tests.conftest import GOOD, fresh, login
from dangjian.audit.models import AuditEvent

CHANGE = reverse("accounts:password_change")


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("Abcdef1!", True),  # exactly 8, four classes
        ("Abcde1!", False),  # 7 characters
        ("abcdefg1", False),  # two classes
        ("abcdef1!", True),  # three classes
        ("ABCDEFG1!", True),
        ("Password1", False),  # common list
        ("Qwerty123!", True),
        ("x" * 60 + "A1!b", True),  # 64 characters accepted
        ("Aa1!" * 32, True),  # 128 characters
        ("Aa1!" * 32 + "x", False),  # 129: too long
        ("长城 Mountain 2026", True),  # unicode passphrase: other/upper/lower/digit
    ],
)
@pytest.mark.django_db
def test_policy(password, ok):
    if ok:
        validate_password(password)
    else:
        with pytest.raises(ValidationError):
            validate_password(password)


@pytest.mark.django_db
def test_password_similar_to_username_rejected():
    user = User(username="zhangwei_mine", display_name="张伟")
    with pytest.raises(ValidationError):
        validate_password("Zhangwei_mine1", user)


def test_password_containing_own_phone_or_id_rejected(accounts):
    person = accounts.member_b
    user = accounts.users["member_b"]
    user = User.objects.get(pk=user.pk)
    with pytest.raises(ValidationError, match="手机号、身份证号"):
        validate_password(f"Ab!{person.phone}", user)
    with pytest.raises(ValidationError, match="手机号、身份证号"):
        validate_password(f"Mine-{person.citizen_id[-6:]}-x", user)
    validate_password("Unrelated-Pass-93", user)


def test_min_length_is_a_rule_but_never_below_8(accounts):
    from dangjian.core.models import Rule

    Rule.objects.filter(key="security.password_min_length").update(value=12)
    with pytest.raises(ValidationError, match="至少需要 12"):
        validate_password("Abcdefg1!23")
    Rule.objects.filter(key="security.password_min_length").update(value=4)
    with pytest.raises(ValidationError, match="至少需要 8"):
        validate_password("Ab1!xyz")


# Hypothesis: generated passwords are accepted exactly when the rule says so.
_alphabet = string.ascii_letters + string.digits + "!@#%^&*-_=+ "


@pytest.mark.django_db
@hsettings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(alphabet=_alphabet, min_size=0, max_size=140))
def test_policy_matches_the_rule(password):
    from django.contrib.auth.password_validation import CommonPasswordValidator

    try:
        CommonPasswordValidator().validate(password)
        common = False
    except ValidationError:
        common = True
    expected = 8 <= len(password) <= 128 and character_classes(password) >= 3 and not common
    try:
        validate_password(password)
        accepted = True
    except ValidationError:
        accepted = False
    assert accepted == expected


def _change(client, old, new):
    return client.post(CHANGE, {"old_password": old, "new_password1": new, "new_password2": new})


def test_last_five_passwords_not_reusable(accounts):
    user = accounts.users["worker_a"]
    client = accounts.client("worker_a")
    passwords = [GOOD, "Second-Pass-21", "Third-Pass-32", "Fourth-Pass-43", "Fifth-Pass-54"]
    # record the persona's current password in the history, then change four times
    PasswordHistory.objects.create(user=user, password=fresh(user).password)
    for old, new in itertools.pairwise(passwords):
        response = _change(client, old, new)
        assert response.status_code == 302, response.content.decode()
    for old_password in passwords:  # the current one and the four before it
        response = _change(client, passwords[-1], old_password)
        assert response.status_code == 200
        assert "最近 5 次" in response.content.decode()
    # a sixth distinct password pushes the first out of the window
    assert _change(client, passwords[-1], "Sixth-Pass-65").status_code == 302
    assert _change(client, "Sixth-Pass-65", GOOD).status_code == 302
    assert PasswordHistory.objects.filter(user=user).count() == 5


def test_change_records_history_time_and_audit(accounts):
    user = accounts.users["worker_a"]
    with time_machine.travel(timezone.now() + dt.timedelta(days=3), tick=False):
        response = _change(accounts.client("worker_a"), GOOD, "Another-Pass-77")
        assert response.status_code == 302
        user = fresh(user)
        assert user.password_changed_at == timezone.now()
    assert user.check_password("Another-Pass-77")
    latest = PasswordHistory.objects.filter(user=user).first()
    assert latest is not None and latest.password == user.password
    assert (
        AuditEvent.objects.filter(event_type="password_change", actor_name="worker_a").count() == 1
    )


def _plain_urls() -> list[str]:
    """Every URL of the project that takes no argument."""
    found: list[str] = []

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif (
                isinstance(p, URLPattern) and not p.pattern.converters and "<" not in str(p.pattern)
            ):
                route = prefix + str(p.pattern)
                if any(ch in route for ch in "^$(\\"):
                    continue
                found.append("/" + route)

    walk(get_resolver().url_patterns)
    return sorted(set(found))


def test_expired_password_redirects_every_url(accounts):
    client = accounts.client("secretary_a")
    assert client.get("/").status_code == 200
    urls = _plain_urls()
    assert len(urls) > 10
    with time_machine.travel(timezone.now() + dt.timedelta(days=91), tick=False):
        client = accounts.client("secretary_a")
        allowed = {CHANGE, reverse("accounts:logout"), reverse("accounts:login"), "/healthz"}
        for url in urls:
            if url in allowed:
                continue
            response = client.get(url)
            if url.startswith("/api/"):
                assert response.status_code in (401, 403), url
            else:
                assert response.status_code == 302, url
                assert response["Location"] == CHANGE, url
        assert client.get(CHANGE).status_code == 200


def test_password_not_yet_expired_at_89_days(accounts):
    with time_machine.travel(timezone.now() + dt.timedelta(days=89), tick=False):
        assert accounts.client("secretary_a").get("/").status_code == 200


def test_must_change_forced_then_cleared(accounts):
    user, secret = services.account_create(actor=None, username="newcomer", display_name="新人")
    assert user.must_change_password
    client = Client()
    response = login(client, "newcomer", secret)
    assert response.status_code == 302 and response["Location"] == CHANGE
    assert client.get("/").status_code == 302
    page = client.get(CHANGE)
    assert "请先修改密码" in page.content.decode()
    assert _change(client, secret, "Newcomer-Pass-88").status_code == 302
    assert not fresh(user).must_change_password
    assert client.get("/").status_code == 200


def test_weak_new_password_rejected_with_chinese_message(accounts):
    response = _change(accounts.client("worker_a"), GOOD, "abc")
    assert response.status_code == 200
    assert "密码太短" in response.content.decode()
    assert fresh(accounts.users["worker_a"]).check_password(GOOD)
