"""In Chromium: a branch secretary opens a person's development timeline, records the due step
with a document, and sees the next due step with its window."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.core.models import Rule
from dangjian.core.rules import seed_rules
from dangjian.core.scope import SYSTEM
from dangjian.core.testing import PASSWORD
from dangjian.development import services
from dangjian.development.defaults import seed_steps
from dangjian.development.models import StepRule
from tests.browser.conftest import browser_instance, login, page, phone_page  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_secretary_records_a_step_and_sees_the_next_due(page, live_server, mine, tmp_path):  # noqa: F811
    seed_steps(StepRule)
    seed_rules(Rule)  # transactional tests flush the seeded rules
    Rule.objects.filter(key="security.mfa_required").update(value=False)  # as in the demo
    applied = timezone.localdate() - dt.timedelta(days=10)
    case = services.case_open(actor=SYSTEM, person_id=mine.masses_a.pk, applied_on=applied)
    login(page, live_server, "secretary_a", PASSWORD)
    page.goto(f"{live_server.url}/development/")
    expect(page.locator("[data-testid=case-row]")).to_have_count(1)
    page.shot("pipeline")
    page.click("text=李群众")
    expect(page.locator("[data-testid=next-due]")).to_contain_text("步骤2：党组织派人谈话")
    page.click("[data-testid=record-step-2]")
    page.fill("#id_completed_on", (applied - dt.timedelta(days=1)).isoformat())
    page.click("[data-testid=step-save]")
    expect(page.locator("[data-testid=error-completed_on]")).to_contain_text(
        f"最早可于 {applied:%Y-%m-%d}"
    )
    page.shot("refused-early")
    document = tmp_path / "谈话记录.pdf"
    document.write_bytes(b"%PDF-1.4\n% talk\n")
    page.fill("#id_completed_on", timezone.localdate().isoformat())
    page.fill("#id_note", "书记与申请人谈话")
    page.set_input_files("#id_documents", str(document))
    page.click("[data-testid=step-save]")
    expect(page.locator("[data-testid=timeline-2]")).to_have_attribute("data-status", "done")
    expect(page.locator("[data-testid=timeline-2]")).to_contain_text("谈话记录.pdf")
    expect(page.locator("[data-testid=next-due]")).to_contain_text("步骤3：推荐和确定入党积极分子")
    page.shot("next-due")
    case.refresh_from_db()
    assert case.last_step == 2 and case.next_step == 3
