"""Bearer tokens: `dangjian token` issues (shown once, stored as SM3), lists, revokes; the API
accepts only live tokens of active users and applies the session policies to them."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
import time_machine
from django.core.cache import caches
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from dangjian.accounts.models import ApiToken
from dangjian.accounts.tokens import token_issue
from dangjian.audit.models import AuditEvent
from dangjian.core.crypto import sm3_hex
from dangjian.core.scope import SYSTEM
from dangjian.people.models import Person, PersonChange


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    caches["default"].clear()


def _issue(username: str, *extra: str) -> str:
    out = io.StringIO()
    call_command("token", username, *extra, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def _me(raw: str, **extra) -> tuple[int, dict]:
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}", **extra)
    return response.status_code, response.json()


def test_issue_use_list_revoke(mine):
    raw = _issue("secretary_a", "--name", "报表同步")
    token = ApiToken.objects.get(user=mine.users["secretary_a"])
    assert raw.startswith(f"djt_{token.prefix}_")
    assert token.key_hash == sm3_hex(raw.encode())
    assert raw not in {token.key_hash, token.prefix, token.name}
    assert token.expires_at is not None
    assert token.expires_at > timezone.now() + dt.timedelta(days=179)
    assert token.last_used_at is None

    status, body = _me(raw)
    assert status == 200
    assert body["username"] == "secretary_a"
    assert [r["code"] for r in body["roles"]] == ["branch_secretary"]
    assert body["roles"][0]["party_org"] == {"id": mine.branch_a.pk, "name": mine.branch_a.name}
    token.refresh_from_db()
    assert token.last_used_at is not None

    out = io.StringIO()
    call_command("token", "secretary_a", "--list", stdout=out)
    listing = out.getvalue()
    assert token.prefix in listing and "有效" in listing and raw not in listing

    call_command("token", "secretary_a", "--revoke", token.prefix, stdout=io.StringIO())
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert _me(raw)[0] == 401
    out = io.StringIO()
    call_command("token", "secretary_a", "--list", stdout=out)
    assert "已吊销" in out.getvalue()

    events = list(
        AuditEvent.objects.filter(event_type__in=["token_issue", "token_revoke"])
        .order_by("id")
        .values_list("event_type", "object_id")
    )
    user_id = str(mine.users["secretary_a"].pk)
    assert events == [("token_issue", user_id), ("token_revoke", user_id)]
    assert not AuditEvent.objects.filter(changes__icontains=raw).exists()


def test_revoke_unknown_prefix_and_unknown_user_fail(mine):
    with pytest.raises(CommandError):
        call_command("token", "secretary_a", "--revoke", "nope1234", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("token", "no-such-user", stdout=io.StringIO())


def test_token_of_disabled_user_is_rejected(mine):
    _, raw = token_issue(actor=SYSTEM, user=mine.users["worker_a"])
    assert _me(raw)[0] == 200
    mine.users["worker_a"].is_active = False
    mine.users["worker_a"].save(update_fields=["is_active"])
    assert _me(raw)[0] == 401


def test_expired_token_is_rejected(mine):
    _, raw = token_issue(actor=SYSTEM, user=mine.users["worker_a"], days=1)
    assert _me(raw)[0] == 200
    with time_machine.travel(timezone.now() + dt.timedelta(days=1, minutes=1)):
        assert _me(raw)[0] == 401


@pytest.mark.parametrize(
    "header",
    ["Bearer djt_abcdefgh_wrong", "Bearer ", "Token xyz", "Basic c2h1amk6eA==", "Bearer x" * 50],
)
def test_bad_credentials_are_401(mine, header):
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "detail" in response.json()


def test_token_in_url_is_ignored(mine):
    _, raw = token_issue(actor=SYSTEM, user=mine.users["shuji"])
    for param in ("token", "access_token", "api_key", "key"):
        assert Client().get(f"/api/v1/me?{param}={raw}").status_code == 401


def test_bad_bearer_is_not_rescued_by_session_cookie(mine):
    client = mine.client("shuji")
    assert client.get("/api/v1/me").status_code == 200
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer djt_aaaaaaaa_forged")
    assert response.status_code == 401


def test_must_change_password_user_gets_403(mine):
    user = mine.users["secretary_a"]
    _, raw = token_issue(actor=SYSTEM, user=user)
    user.must_change_password = True
    user.save(update_fields=["must_change_password"])
    status, body = _me(raw)
    assert status == 403
    assert "修改" in body["detail"]


def test_expired_password_user_gets_403(mine):
    user = mine.users["secretary_a"]
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password_changed_at"])
    _, raw = token_issue(actor=SYSTEM, user=user, days=365)
    assert _me(raw)[0] == 200
    with time_machine.travel(timezone.now() + dt.timedelta(days=91)):
        status, body = _me(raw)
    assert status == 403
    assert "过期" in body["detail"]


def test_locked_user_gets_403(mine):
    user = mine.users["secretary_a"]
    _, raw = token_issue(actor=SYSTEM, user=user)
    user.locked_until = timezone.now() + dt.timedelta(minutes=30)
    user.save(update_fields=["locked_until"])
    assert _me(raw)[0] == 403


def test_admin_token_outside_admin_networks_gets_403(mine, settings):
    settings.ADMIN_NETWORKS = ["10.8.0.0/16"]
    _, raw = token_issue(actor=SYSTEM, user=mine.users["sysadmin"])
    assert _me(raw, REMOTE_ADDR="10.8.1.2")[0] == 200
    assert _me(raw, REMOTE_ADDR="192.0.2.7")[0] == 403
    assert _me(raw, REMOTE_ADDR="192.0.2.7", HTTP_X_FORWARDED_FOR="10.8.1.2")[0] == 403


def test_token_write_is_audited_as_the_token_user(mine):
    user = mine.users["secretary_a"]
    _, raw = token_issue(actor=SYSTEM, user=user)
    person = Person.objects.get(pk=mine.member_a.pk)
    response = Client().patch(
        f"/api/v1/persons/{person.pk}",
        data=json.dumps({"post": "掘进工"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
        HTTP_IF_MATCH=f'"{person.version}"',
    )
    assert response.status_code == 200, response.content
    event = AuditEvent.objects.filter(event_type="update", object_id=str(person.pk)).latest("id")
    assert (event.actor_id, event.actor_name, event.channel) == (user.pk, "secretary_a", "api")
    assert event.request_id == response["X-Request-ID"]
    change = PersonChange.objects.filter(person=person).latest("id")
    assert (change.actor_name, change.source) == ("secretary_a", "api")


def test_must_change_password_session_user_gets_403_from_api(mine):
    user = mine.users["secretary_a"]
    client = mine.client("secretary_a")
    user.must_change_password = True
    user.save(update_fields=["must_change_password"])
    response = client.get("/api/v1/persons/")
    assert response.status_code == 403
    assert response.json()["detail"]
