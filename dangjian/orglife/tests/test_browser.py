"""Organisational life in Chromium: a branch secretary schedules a branch general meeting
(a make-up for the overdue quarter), a member checks in on a phone through the QR link, the
secretary records minutes with a photo and archives; the red warning on the board clears."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.accounts.models import Role, RoleAssignment, User
from dangjian.core.periods import Period
from dangjian.core.testing import PASSWORD, password_hash
from dangjian.orglife.models import Meeting
from dangjian.orglife.tests.helpers import types
from tests.browser.conftest import browser_instance, login, page, phone_page  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _member_account(mine) -> User:
    user = User.objects.create(username="member_a", password=password_hash())
    RoleAssignment.objects.create(
        user=user, role=Role.objects.get(code="member"), party_org=mine.branch_a
    )
    mine.member_a.user = user
    mine.member_a.save(update_fields=["user"])
    return user


def _enrol_mfa(user: User) -> None:
    """The secretary (who may reveal ID numbers) has already bound an authenticator."""
    from django.db import transaction

    from dangjian.accounts.mfa import device_code, mfa_enrol_begin, mfa_enrol_confirm

    with transaction.atomic():
        device = mfa_enrol_begin(user=user)
        assert mfa_enrol_confirm(user=user, code=device_code(device)).ok


def _login(page, live_server, username: str, next_url: str) -> None:  # noqa: F811
    """Log in (second factor included when asked), then open ``next_url``."""
    login(page, live_server, username, PASSWORD)
    page.goto(f"{live_server.url}{next_url}")


def _wait_image_loaded(page, selector: str, timeout: float = 10.0) -> None:  # noqa: F811
    """Poll from Python: wait_for_function would need eval, which the page's CSP forbids."""
    deadline = time.monotonic() + timeout
    script = f"document.querySelector({selector!r}).naturalWidth"
    while page.evaluate(script) == 0:
        assert time.monotonic() < deadline, f"image {selector} did not load"
        time.sleep(0.1)


def _cell(page, org_id: int, code: str):  # noqa: F811
    return page.locator(f'tr[data-org="{org_id}"] td[data-type="{code}"]')


def test_meeting_from_plan_to_compliance(page, phone_page, live_server, mine):  # noqa: F811
    types()
    _member_account(mine)
    _enrol_mfa(mine.users["secretary_a"])
    today = timezone.localdate()
    last_quarter = Period.containing(today, "quarter").previous()

    _login(page, live_server, "secretary_a", "/orglife/compliance/")
    cell = _cell(page, mine.branch_a.pk, "branch_general")
    expect(cell).to_have_attribute("data-level", "red")
    expect(cell).to_contain_text("逾期未开")
    page.shot("board-red")

    page.goto(f"{live_server.url}/orglife/new/")
    page.select_option("#id_org", str(mine.branch_a.pk))
    page.select_option("#id_meeting_type", label="支部党员大会")
    page.fill("#id_title", "补开上季度支部党员大会")
    page.fill("#id_planned_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_location", "党员活动室")
    page.fill("#id_period_date", last_quarter.start.isoformat())
    page.shot("plan-form")
    page.click("#org-form button[type=submit]")
    expect(page.locator("h1")).to_have_text("补开上季度支部党员大会")
    meeting = Meeting.objects.get(title="补开上季度支部党员大会")

    page.click("text=发出会议通知")
    expect(page.locator("input[name=invitees]:checked")).to_have_count(1)
    page.click("#org-form button[type=submit]")
    page.click("text=开始签到")
    page.click("text=显示签到二维码")
    expect(page.locator("#signin-qr")).to_be_visible()
    _wait_image_loaded(page, "#signin-qr")
    assert page.evaluate("document.querySelector('#signin-qr').naturalWidth") > 0
    signin_url = page.get_attribute("#signin-link", "href")
    page.shot("qr-screen")

    path = signin_url.split(live_server.url, 1)[1]
    _login(phone_page, live_server, "member_a", path)
    expect(phone_page.locator("#confirm-signin")).to_be_visible()
    phone_page.shot("phone-confirm")
    phone_page.click("#confirm-signin")
    expect(phone_page.locator("#signin-done")).to_contain_text("签到成功")
    phone_page.shot("phone-done")

    page.goto(f"{live_server.url}/orglife/{meeting.pk}/")
    expect(page.locator(f'tr[data-person="{mine.member_a.pk}"]')).to_have_attribute(
        "data-status", "present"
    )
    page.click("text=结束签到并记录纪要")
    page.fill("#id_topic", "学习贯彻上级精神")
    page.fill("#id_content", "全体党员学习讨论，一致通过工作安排。")
    page.click("#org-form button[type=submit]")
    expect(page.locator("#minutes")).to_contain_text("学习贯彻上级精神")
    page.select_option("#id_kind", "photo")
    page.set_input_files(
        "#id_file", files=[{"name": "现场.png", "mimeType": "image/png", "buffer": PNG}]
    )
    page.click("#files button[type=submit]")
    expect(page.locator("img.meeting-photo")).to_have_count(1)
    _wait_image_loaded(page, "img.meeting-photo")
    assert page.evaluate("document.querySelector('img.meeting-photo').naturalWidth") == 1
    page.click("#workflow button:has-text('归档')")
    expect(page.locator("#meeting-state")).to_contain_text("已归档")
    page.shot("archived")

    page.goto(f"{live_server.url}/orglife/compliance/")
    cell = _cell(page, mine.branch_a.pk, "branch_general")
    expect(cell).not_to_have_attribute("data-level", "red")
    expect(cell).to_contain_text("补开")
    page.shot("board-cleared")
