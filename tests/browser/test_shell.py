"""The page shell in Chromium: login, navigation, home page, on desktop and on a phone."""

from __future__ import annotations

import pytest

from dangjian.core.testing import PASSWORD

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


def test_secretary_logs_in_and_sees_home(page, live_server, mine):
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url  # deny by default
    page.shot("login")
    login(page, live_server, "secretary_a", PASSWORD)
    assert page.url.rstrip("/") == live_server.url
    assert page.locator("[data-testid=current-user]").inner_text() != ""
    page.shot("home")


def test_phone_menu_opens(phone_page, live_server, mine):
    login(phone_page, live_server, "secretary_a", PASSWORD)
    toggle = phone_page.locator("header button[data-bs-target='#sidenav']")
    assert toggle.is_visible()
    toggle.click()
    phone_page.wait_for_selector("#sidenav.show")
    phone_page.shot("menu-open")
    assert phone_page.locator("#sidenav .nav-link").count() >= 1
