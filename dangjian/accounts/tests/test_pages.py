"""Page details: cookies and CSRF (SESS-05), reset timeout (AUTH-11), lists, menu entries."""

from __future__ import annotations

from django.conf import settings
from django.test import Client
from django.urls import reverse

from dangjian.accounts.models import User
from dangjian.accounts.tests.conftest import GOOD, login


def test_session_cookie_attributes(accounts):
    response = login(Client(), "shuji")
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert not cookie["max-age"]  # ends with the browser; the server enforces the idle limit


def test_login_post_without_csrf_token_refused(accounts):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("accounts:login"), {"username": "shuji", "password": GOOD})
    assert response.status_code == 403


def test_password_reset_links_live_at_most_an_hour():
    assert settings.PASSWORD_RESET_TIMEOUT <= 3600


def test_logout_get_shows_confirmation_and_keeps_session(accounts):
    client = accounts.client("shuji")
    page = client.get(reverse("accounts:logout"))
    assert page.status_code == 200 and "确定要退出" in page.content.decode()
    assert client.get(reverse("accounts:my_sessions")).status_code == 200


def test_account_list_search_filter_and_htmx_fragment(accounts):
    User.objects.filter(username="worker_a").update(is_active=False)
    client = accounts.client("sysadmin")
    url = reverse("accounts:account_list")
    rows = lambda response: [u.username for u in response.context["listing"].object_list]  # noqa: E731
    assert rows(client.get(url, {"q": "secre"})) == ["secretary_a"]
    assert rows(client.get(url, {"status": "disabled"})) == ["worker_a"]
    assert sorted(rows(client.get(url, {"kind": "admin"}))) == ["auditor", "secadmin", "sysadmin"]
    assert rows(client.get(url, {"sort": "-username", "kind": "admin"}))[0] == "sysadmin"
    fragment = client.get(url, {"q": "shuji"}, HTTP_HX_REQUEST="true")
    body = fragment.content.decode()
    assert "<html" not in body and 'id="account-table"' in body and "shuji" in body


def test_menu_entries_follow_the_role(accounts):
    pages = {
        persona: accounts.client(persona).get(reverse("accounts:my_sessions")).content.decode()
        for persona in ("sysadmin", "secadmin", "shuji")
    }
    assert reverse("accounts:account_list") in pages["sysadmin"]
    assert reverse("accounts:role_assignments") not in pages["sysadmin"]
    assert reverse("accounts:role_assignments") in pages["secadmin"]
    assert reverse("accounts:account_list") not in pages["secadmin"]
    assert reverse("accounts:account_list") not in pages["shuji"]
    assert reverse("accounts:role_assignments") not in pages["shuji"]


def test_expired_notice_on_login_page(db):
    page = Client().get(reverse("accounts:login"), {"expired": "idle"})
    assert "长时间未操作" in page.content.decode()
