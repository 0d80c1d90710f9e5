"""Login policy: lockout (AUTH-05), per-IP throttle (AUTH-06), Argon2id (AUTH-09), AUTH-01."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts.models import LoginFailure, User, UsernameLock
from dangjian.accounts.tests.conftest import GOOD, fresh, login
from dangjian.audit.models import AuditEvent

LOCKED = "登录失败次数过多，账户已锁定 30 分钟"
INVALID = "用户名或密码错误"


def test_correct_password_logs_in_and_audits(accounts):
    client = Client()
    response = login(client, "secretary_a")
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:home")
    assert client.get("/").status_code == 200
    event = AuditEvent.objects.get(event_type="login_success")
    assert event.actor_name == "secretary_a"
    assert event.outcome == "success"


def test_username_is_case_insensitive_at_login(accounts):
    response = login(Client(), "SECRETARY_A")
    assert response.status_code == 302


def test_username_unique_case_insensitive_in_database(accounts):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="Secretary_A", password="x")


def test_wrong_password_and_unknown_user_answer_identically(accounts):
    wrong = login(Client(), "secretary_a", "Wrong-Password-1")
    unknown = login(Client(), "nobody_here", "Wrong-Password-1")
    assert wrong.status_code == unknown.status_code == 200
    assert INVALID in wrong.content.decode()
    assert INVALID in unknown.content.decode()
    strip = lambda r: r.content.decode().replace("secretary_a", "X").replace("nobody_here", "X")  # noqa: E731
    import re

    token = re.compile(
        r'name="csrfmiddlewaretoken" value="[^"]+"|content="[^"]+"|"X-CSRFToken": "[^"]+"'
    )
    assert token.sub("", strip(wrong)) == token.sub("", strip(unknown))


def test_fifth_failure_locks_with_429_and_audit(accounts):
    client = Client()
    for attempt in range(1, 5):
        response = login(client, "secretary_a", f"Wrong-Password-{attempt}")
        assert response.status_code == 200, attempt
    fifth = login(client, "secretary_a", "Wrong-Password-5")
    assert fifth.status_code == 429
    assert LOCKED in fifth.content.decode()
    user = fresh(accounts.users["secretary_a"])
    assert user.locked_until is not None and user.locked_until > timezone.now()
    assert user.failed_logins == 5
    assert AuditEvent.objects.filter(event_type="login_failure").count() == 5
    lockout = AuditEvent.objects.get(event_type="lockout")
    assert lockout.object_id == str(user.pk)
    # correct password refused while locked
    again = login(client, "secretary_a", GOOD)
    assert again.status_code == 429
    assert LOCKED in again.content.decode()
    assert not AuditEvent.objects.filter(event_type="login_success").exists()


def test_unknown_user_locks_identically(accounts):
    client = Client()
    statuses = [login(client, "Ghost", f"Wrong-{i}").status_code for i in range(6)]
    assert statuses == [200, 200, 200, 200, 429, 429]
    assert UsernameLock.objects.get(username="ghost").locked_until is not None
    assert LOCKED in login(client, "ghost", "x").content.decode()
    assert AuditEvent.objects.filter(event_type="lockout").count() == 1


def test_lock_expires_after_30_minutes(accounts):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        for i in range(5):
            login(Client(), "worker_a", f"Wrong-{i}")
        traveller.shift(dt.timedelta(minutes=29, seconds=59))
        assert login(Client(), "worker_a", GOOD).status_code == 429
        traveller.shift(dt.timedelta(seconds=2))
        response = login(Client(), "worker_a", GOOD)
        assert response.status_code == 302
    user = fresh(accounts.users["worker_a"])
    assert user.failed_logins == 0 and user.locked_until is None


def test_success_resets_the_failure_count(accounts):
    for i in range(4):
        login(Client(), "worker_a", f"Wrong-{i}")
    assert login(Client(), "worker_a").status_code == 302
    assert fresh(accounts.users["worker_a"]).failed_logins == 0
    for i in range(4):
        assert login(Client(), "worker_a", f"Wrong-{i}").status_code == 200


def test_ip_throttle_101st_attempt(accounts):
    now = timezone.now()
    LoginFailure.objects.bulk_create(
        [LoginFailure(ip="10.9.9.9", at=now - dt.timedelta(minutes=30)) for _ in range(99)]
        + [LoginFailure(ip="10.9.9.9", at=now - dt.timedelta(minutes=61))]  # outside the hour
    )
    client = Client(REMOTE_ADDR="10.9.9.9")
    hundredth = login(client, "someone_else", "Wrong-1")
    assert hundredth.status_code == 200
    throttled = login(client, "secretary_a", GOOD)  # 101st: refused even with the password
    assert throttled.status_code == 429
    assert "登录尝试过于频繁" in throttled.content.decode()
    # another IP is unaffected, and the username itself was not locked
    other = login(Client(REMOTE_ADDR="10.8.8.8"), "secretary_a", GOOD)
    assert other.status_code == 302
    assert fresh(accounts.users["secretary_a"]).locked_until is None


def test_password_stored_as_argon2id(accounts):
    assert fresh(accounts.users["shuji"]).password.startswith("argon2$argon2id$")


def test_pbkdf2_hash_upgraded_to_argon2id_on_login(accounts):
    user = accounts.users["shuji"]
    User.objects.filter(pk=user.pk).update(password=make_password(GOOD, hasher="pbkdf2_sha256"))
    assert fresh(user).password.startswith("pbkdf2_sha256$")
    assert login(Client(), "shuji").status_code == 302
    assert fresh(user).password.startswith("argon2$argon2id$")


def test_session_key_rotates_at_login(accounts):
    client = Client()
    client.get(reverse("accounts:login"))
    client.session.save()
    before = client.session.session_key
    assert before
    login(client, "shuji")
    assert client.session.session_key != before


def test_disabled_account_cannot_log_in(accounts):
    User.objects.filter(username="shuji").update(is_active=False)
    response = login(Client(), "shuji")
    assert response.status_code == 200
    assert INVALID in response.content.decode()


def test_next_parameter_only_local(accounts):
    response = Client().post(
        reverse("accounts:login") + "?next=https://evil.example/",
        {"username": "shuji", "password": GOOD},
    )
    assert response["Location"] == reverse("dashboard:home")
    response = Client().post(
        reverse("accounts:login"), {"username": "shuji", "password": GOOD, "next": "/people/"}
    )
    assert response["Location"] == "/people/"
