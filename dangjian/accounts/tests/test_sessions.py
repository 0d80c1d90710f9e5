"""Session policy: idle/absolute timeouts (SESS-01/02), key rotation and logout (SESS-03),
ending sessions (SESS-04), one session for 三员 (SESS-06), management networks (AC-07)."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts.models import UserSession
from dangjian.accounts.tests.conftest import GOOD, login
from dangjian.audit.models import AuditEvent

MY_SESSIONS = reverse("accounts:my_sessions")
LOGIN = reverse("accounts:login")


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_active_user_stays_in_but_31_minutes_idle_logs_out(accounts):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = accounts.client("secretary_a")
        assert client.get(MY_SESSIONS).status_code == 200
        traveller.shift(dt.timedelta(minutes=20))
        assert client.get(MY_SESSIONS).status_code == 200
        traveller.shift(dt.timedelta(minutes=20))
        assert client.get(MY_SESSIONS).status_code == 200
        traveller.shift(dt.timedelta(minutes=31))
        response = client.get(MY_SESSIONS)
        assert _is_login_redirect(response)
        # the session is gone for good, even if time went back
        assert not UserSession.objects.filter(user=accounts.users["secretary_a"]).exists()


def test_idle_timeout_follows_the_rule(accounts):
    from dangjian.core.models import Rule

    Rule.objects.filter(key="security.idle_timeout_minutes").update(value=10)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = accounts.client("secretary_a")
        traveller.shift(dt.timedelta(minutes=11))
        response = client.get(MY_SESSIONS)
        assert _is_login_redirect(response)
        assert "expired=idle" in response["Location"]


def test_absolute_limit_forces_new_login(accounts):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = accounts.client("shuji")
        for _ in range(19):  # active every 25 minutes: 7 h 55 min
            traveller.shift(dt.timedelta(minutes=25))
            assert client.get(MY_SESSIONS).status_code == 200
        traveller.shift(dt.timedelta(minutes=10))  # 8 h 5 min after login
        response = client.get(MY_SESSIONS)
        assert _is_login_redirect(response)
        assert "expired=absolute" in response["Location"]
        assert AuditEvent.objects.filter(event_type="logout", reason="超过会话最长时限").exists()


def test_logout_deletes_server_session_and_clears_site_data(accounts):
    client = Client()
    login(client, "shuji")
    key = client.session.session_key
    assert Session.objects.filter(pk=key).exists()
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert not Session.objects.filter(pk=key).exists()
    assert AuditEvent.objects.filter(event_type="logout", actor_name="shuji").count() == 1
    # replaying the old cookie gets the login page
    replay = Client()
    replay.cookies["sessionid"] = str(key)
    assert _is_login_redirect(replay.get(MY_SESSIONS))


def test_authenticated_pages_are_not_cached(accounts):
    response = accounts.client("shuji").get(MY_SESSIONS)
    assert response["Cache-Control"] == "no-store"


def test_password_change_ends_other_sessions(accounts):
    first, second = Client(), Client()
    login(first, "worker_a")
    login(second, "worker_a")
    response = first.post(
        reverse("accounts:password_change"),
        {
            "old_password": GOOD,
            "new_password1": "Brand-New-Pass-42",
            "new_password2": "Brand-New-Pass-42",
        },
    )
    assert response.status_code == 302
    assert first.get(MY_SESSIONS).status_code == 200
    assert _is_login_redirect(second.get(MY_SESSIONS))
    user = accounts.users["worker_a"]
    assert UserSession.objects.filter(user=user).count() == 1
    assert UserSession.objects.get(user=user).session_key == first.session.session_key


def test_second_login_of_an_administrator_ends_the_first(accounts):
    first, second = Client(), Client()
    assert login(first, "sysadmin").status_code == 302
    assert first.get(MY_SESSIONS).status_code == 200
    assert login(second, "sysadmin").status_code == 302
    assert _is_login_redirect(first.get(MY_SESSIONS))
    assert second.get(MY_SESSIONS).status_code == 200
    assert UserSession.objects.filter(user=accounts.users["sysadmin"]).count() == 1
    assert AuditEvent.objects.filter(
        event_type="session_kill", reason="三员仅允许一个会话"
    ).exists()


def test_business_users_may_hold_several_sessions(accounts):
    first, second = Client(), Client()
    login(first, "shuji")
    login(second, "shuji")
    assert first.get(MY_SESSIONS).status_code == 200
    assert second.get(MY_SESSIONS).status_code == 200


def test_user_sees_and_ends_own_sessions(accounts):
    first, second = Client(), Client()
    login(first, "shuji")
    login(second, "shuji", HTTP_USER_AGENT="PhoneBrowser/1.0")
    page = first.get(MY_SESSIONS)
    assert "PhoneBrowser/1.0" in page.content.decode()
    assert "当前会话" in page.content.decode()
    other = second.session.session_key
    assert first.post(MY_SESSIONS, {"session": other}).status_code == 302
    assert _is_login_redirect(second.get(MY_SESSIONS))
    # somebody else's session key is not theirs to end
    third = accounts.client("worker_a")
    first.post(MY_SESSIONS, {"session": third.session.session_key})
    assert third.get(MY_SESSIONS).status_code == 200


def test_security_admin_kills_a_session(accounts):
    victim = accounts.client("worker_a")
    key = victim.session.session_key
    secadmin = accounts.client("secadmin")
    listing = secadmin.get(reverse("accounts:session_admin"))
    assert "worker_a" in listing.content.decode()
    response = secadmin.post(reverse("accounts:session_admin"), {"session": key})
    assert response.status_code == 302
    assert _is_login_redirect(victim.get(MY_SESSIONS))
    event = AuditEvent.objects.get(event_type="session_kill", actor_name="secadmin")
    assert event.object_id == str(accounts.users["worker_a"].pk)


def test_disable_ends_every_session(accounts):
    victim = accounts.client("worker_a")
    accounts.client("sysadmin").post(
        reverse("accounts:account_disable", args=[accounts.users["worker_a"].pk])
    )
    assert _is_login_redirect(victim.get(MY_SESSIONS))


def test_lockout_ends_every_session(accounts):
    victim = accounts.client("worker_a")
    for i in range(5):
        login(Client(), "worker_a", f"Wrong-{i}")
    assert _is_login_redirect(victim.get(MY_SESSIONS))


def test_admin_networks_allow_list(accounts, settings):
    settings.ADMIN_NETWORKS = ["10.0.0.0/8"]
    admin = accounts.client("secadmin")
    url = reverse("accounts:security_rules")
    assert admin.get(url, REMOTE_ADDR="10.1.2.3").status_code == 200
    assert admin.get(url, REMOTE_ADDR="192.168.1.5").status_code == 403
    # a spoofed X-Forwarded-For from an untrusted peer is ignored
    spoofed = admin.get(url, REMOTE_ADDR="192.168.1.5", HTTP_X_FORWARDED_FOR="10.1.2.3")
    assert spoofed.status_code == 403
    # business users are not limited
    assert accounts.client("shuji").get(MY_SESSIONS, REMOTE_ADDR="192.168.1.5").status_code == 200
    # login of an administrator from outside is refused
    refused = login(Client(REMOTE_ADDR="192.168.1.5"), "sysadmin")
    assert refused.status_code == 403
    assert login(Client(REMOTE_ADDR="10.0.0.7"), "sysadmin").status_code == 302


def test_admin_networks_behind_trusted_proxy(accounts, settings):
    settings.ADMIN_NETWORKS = ["10.0.0.0/8"]
    settings.TRUSTED_PROXIES = ["172.16.0.1"]
    admin = accounts.client("secadmin")
    url = reverse("accounts:security_rules")
    via_proxy = {"REMOTE_ADDR": "172.16.0.1"}
    assert admin.get(url, HTTP_X_FORWARDED_FOR="10.4.4.4", **via_proxy).status_code == 200
    # the client put a fake inner address first; the proxy appended the real one
    forged = admin.get(url, HTTP_X_FORWARDED_FOR="10.4.4.4, 8.8.8.8", **via_proxy)
    assert forged.status_code == 403
