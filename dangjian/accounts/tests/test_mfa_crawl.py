"""AUTH-07 by crawling: a logged-in privileged user who has not passed the second factor is
redirected to the MFA pages (web) or refused with 403 JSON (API) on every URL of the project,
for GET and POST alike; only the login, logout, MFA pages, static files and health check open.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from dangjian.accounts import mfa
from tests.test_url_crawl import all_urls

OPEN = {"/accounts/login/", "/accounts/logout/", "/accounts/mfa/verify/", "/accounts/mfa/enrol/"}
OPEN_PREFIXES = ("/static/", "/healthz")


def _unverified(mine, role: str, *, enrolled: bool) -> Client:
    user = mine.users[role]
    if enrolled:
        device = mfa.mfa_enrol_begin(user=user)
        assert mfa.mfa_enrol_confirm(user=user, code=mfa.device_code(device)).ok
    client = Client()
    client.force_login(user)
    session = client.session
    del session[mfa.SESSION_FLAG]  # password step done, second factor not
    session.save()
    client.raise_request_exception = True
    return client


@pytest.mark.parametrize(
    ("role", "enrolled"),
    [
        ("sysadmin", False),
        ("secadmin", False),
        ("shuji", True),
        ("secretary_a", False),
        ("union", False),
    ],
)
def test_every_url_is_closed_until_the_second_factor(mine, role, enrolled):
    client = _unverified(mine, role, enrolled=enrolled)
    target = reverse("accounts:mfa_verify" if enrolled else "accounts:mfa_enrol")
    checked = 0
    for url in all_urls():
        if url in OPEN or url.startswith(OPEN_PREFIXES):
            continue
        for method in (client.get, client.post):
            response = method(url)
            if url.startswith("/api/"):
                assert response.status_code == 403, (url, response.status_code)
                assert "多因素认证" in response.json()["detail"], url
            else:
                assert response.status_code == 302, (url, response.status_code)
                assert response["Location"].split("?")[0] == target, url
            checked += 1
    assert checked > 40
    assert client.get(target).status_code == 200


def test_the_open_pages_answer(mine):
    client = _unverified(mine, "sysadmin", enrolled=False)
    assert client.get("/healthz").status_code == 200
    assert client.get(reverse("accounts:logout")).status_code == 200
    assert client.get(reverse("accounts:mfa_enrol")).status_code == 200
    assert client.get(reverse("accounts:mfa_verify")).status_code == 302  # not enrolled: enrol
    login_page = client.get(reverse("accounts:login"))
    assert login_page.status_code == 200


def test_a_verified_session_reaches_the_same_urls(mine):
    """The converse: with the second factor passed, the crawl sees no MFA redirect at all."""
    client = mine.client("shuji")
    for url in all_urls():
        if url.startswith(OPEN_PREFIXES) or url in OPEN:
            continue
        response = client.get(url)
        location = response.get("Location", "")
        assert "/accounts/mfa/" not in location, url
