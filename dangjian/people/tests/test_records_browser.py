"""Person records in Chromium: search, HTMX filters, reveal dialog, inline validation, edit;
the list as cards on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from dangjian.core.testing import PASSWORD
from dangjian.people.models import Person
from tests.browser.conftest import browser_instance, login, page, phone_page  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_secretary_finds_reveals_and_edits_a_member(page, live_server, mine):  # noqa: F811
    login(page, live_server, "secretary_a", PASSWORD)
    page.goto(f"{live_server.url}/people/")
    assert page.locator("[data-testid=person-row]").count() == 2
    page.select_option("#f-ps", "masses")  # HTMX swaps only the table
    expect(page.locator("[data-testid=person-row]")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"political_status=masses"))
    page.shot("filtered")
    page.fill("#f-q", mine.member_a.citizen_id)
    page.select_option("#f-ps", "")
    expect(page.locator("[data-testid=person-row]")).to_have_count(1)
    expect(page.locator("[data-testid=person-row]")).to_contain_text("张支部党员")
    page.click("text=张支部党员")
    page.wait_for_selector("[data-testid=masked-citizen_id]")
    assert mine.member_a.citizen_id not in page.content()

    page.click("[data-testid=reveal-citizen_id]")
    page.wait_for_selector("#reveal-modal.show [data-testid=reveal-form]")
    page.fill("#reveal-reason", "核对身份信息")
    page.shot("reveal-reason")
    page.click("#reveal-modal button[type=submit]")
    page.wait_for_selector("[data-testid=revealed-value]")
    assert page.inner_text("[data-testid=revealed-value]") == mine.member_a.citizen_id
    page.shot("revealed")
    page.click("#reveal-modal .modal-footer button")
    page.wait_for_selector("#reveal-modal", state="hidden")
    expect(page.locator("#reveal-content")).to_be_empty()
    assert mine.member_a.citizen_id not in page.content()  # cleared from the page

    page.click("[data-testid=person-edit]")
    page.fill("#id_phone", "12345")
    page.locator("#id_phone").dispatch_event("change")
    page.wait_for_selector("#err-phone .invalid-feedback")
    assert "手机号码应为11位" in page.inner_text("#err-phone")
    page.shot("inline-error")
    page.fill("#id_phone", "")
    page.fill("#id_post", "综采班长")
    page.click("[data-testid=person-save]")
    page.wait_for_selector("[data-testid=person-name]")
    assert "综采班长" in page.content()
    person = Person.objects.get(pk=mine.member_a.pk)
    assert person.post == "综采班长" and person.phone == "13800000001"


def test_list_is_cards_on_a_phone(phone_page, live_server, mine):  # noqa: F811
    login(phone_page, live_server, "secretary_a", PASSWORD)
    phone_page.goto(f"{live_server.url}/people/")
    row = phone_page.locator("[data-testid=person-row]").first
    assert row.evaluate("el => getComputedStyle(el).display") == "block"
    assert phone_page.locator("table thead").first.is_hidden()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400  # no horizontal scrolling on a 390 px screen
    phone_page.shot("cards")


def test_tree_pickers_narrow_the_list(page, live_server, mine):  # noqa: F811
    """Organisation, then party group and unit: the pickers search on demand, the group and
    unit pickers offer only what lies under the chosen organisation, each pick filters."""
    login(page, live_server, "shuji", PASSWORD)
    page.goto(f"{live_server.url}/people/")
    rows = page.locator("[data-testid=person-row]")
    expect(rows).to_have_count(3)
    page.fill("#picker-party_org", "综采一队党")
    page.click("[data-org-pick] >> text=综采一队党支部")
    expect(page).to_have_url(re.compile(rf"party_org={mine.branch_a.pk}"))
    expect(rows.filter(has_text="王二支部党员")).to_have_count(0)
    expect(rows.filter(has_text="张支部党员")).to_have_count(1)

    page.focus("#picker-party_group")
    group_results = page.locator("[data-org-picker]:has(#picker-party_group) [data-org-pick]")
    expect(group_results).to_have_count(1)
    expect(group_results).to_contain_text("综采一队第一党小组")
    page.shot("group-picker")
    group_results.first.click()
    expect(page).to_have_url(re.compile(rf"party_group={mine.group_a1.pk}"))
    expect(rows.filter(has_text="张支部党员")).to_have_count(1)

    page.focus("#picker-unit")
    unit_results = page.locator("[data-org-picker]:has(#picker-unit) [data-org-pick]")
    expect(unit_results).to_have_count(2)  # 综采一队 and its team, nothing of branch B
    expect(unit_results.first).to_contain_text("综采一队")
    page.shot("unit-picker")
    unit_results.nth(1).click()
    expect(page).to_have_url(re.compile(rf"unit={mine.team_a1.pk}"))
    expect(rows.filter(has_text="张支部党员")).to_have_count(1)
