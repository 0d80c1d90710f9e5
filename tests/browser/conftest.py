"""Browser tests: Playwright drives Debian's chromium against pytest-django's live server.

Screenshots of every step are kept under $DANGJIAN_ARTIFACTS/screenshots (default
./test-artifacts). Without /usr/bin/chromium the tests are skipped with the install hint.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are ordinary synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("DANGJIAN_ARTIFACTS", "test-artifacts")) / "screenshots"

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


_shared: dict[str, object] = {}  # one Playwright + Chromium per process
_users = [0]


@pytest.fixture(scope="session")
def browser_instance() -> Iterator[object]:
    """One browser per test process, however many modules import this fixture.

    App test modules import it (``from tests.browser.conftest import browser_instance``),
    which registers one session fixture per module; a second ``sync_playwright()`` in the
    same process fails ("Sync API inside the asyncio loop"), so they share this one.
    """
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium not installed: apt-get install -y chromium fonts-noto-cjk")
    if "browser" not in _shared:
        from playwright.sync_api import sync_playwright

        pw = sync_playwright().start()
        _shared["pw"] = pw
        _shared["browser"] = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
    _users[0] += 1
    try:
        yield _shared["browser"]
    finally:
        _users[0] -= 1
        if _users[0] == 0:
            _shared.pop("browser").close()  # type: ignore[attr-defined]
            _shared.pop("pw").stop()  # type: ignore[attr-defined]


class Shooter:
    """Takes numbered screenshots named after the test."""

    def __init__(self, page: object, name: str) -> None:
        self.page = page
        self.name = re.sub(r"[^\w.-]+", "_", name)
        self.count = 0

    def __call__(self, step: str) -> Path:
        self.count += 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.name}-{self.count:02d}-{step}.png"
        self.page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
        return path


def _page(browser_instance: object, request: pytest.FixtureRequest, viewport: dict) -> Iterator:
    context = browser_instance.new_context(  # type: ignore[attr-defined]
        viewport=viewport, locale="zh-CN", is_mobile=viewport is PHONE, has_touch=viewport is PHONE
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.shot = Shooter(page, request.node.name)
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def page(browser_instance, request) -> Iterator:
    yield from _page(browser_instance, request, DESKTOP)


@pytest.fixture
def phone_page(browser_instance, request) -> Iterator:
    yield from _page(browser_instance, request, PHONE)


def login(page, live_server, username: str, password: str) -> None:
    """Log in; when the second factor is asked (AUTH-07) complete it like a user would:
    bind an authenticator from the secret shown on the page, or type the current code."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    if "/accounts/mfa/enrol/" in page.url:
        secret = page.inner_text("[data-testid=mfa-secret]").replace(" ", "")
        page.fill("#id_code", otp_code(secret))
        page.click("button[type=submit]:has-text('完成绑定')")
        page.click("[data-testid=mfa-continue]")
        page.wait_for_load_state("networkidle")
    elif "/accounts/mfa/verify/" in page.url:
        page.fill("#id_code", otp_code_for(username))
        page.click("[data-testid=mfa-verify-form] button[type=submit]")
        page.wait_for_load_state("networkidle")


def otp_code(secret_b32: str, step: int | None = None) -> str:
    """The TOTP code an authenticator app shows for a base32 secret."""
    import base64

    from dangjian.accounts.mfa import code_for, current_step

    padded = secret_b32 + "=" * (-len(secret_b32) % 8)
    return code_for(base64.b32decode(padded), current_step() if step is None else step)


def otp_code_for(username: str) -> str:
    """A not yet used code of an enrolled user (the next step when this one was used)."""
    from dangjian.accounts.mfa import current_step, device_code
    from dangjian.accounts.models import MfaDevice

    device = MfaDevice.objects.get(user__username__iexact=username, confirmed_at__isnull=False)
    return device_code(device, max(current_step(), device.last_step + 1))
