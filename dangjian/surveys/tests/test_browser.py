"""Surveys in Chromium: a member of branch B answers the satisfaction survey on a phone
(big touch targets), sees it marked as submitted; the committee closes it and the results
page draws one bar chart per question."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dangjian.core.testing import PASSWORD
from dangjian.surveys.models import Participation, Response
from dangjian.surveys.tests.helpers import survey
from tests.browser.conftest import browser_instance, login, page, phone_page  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_member_answers_on_a_phone(page, phone_page, live_server, mine):  # noqa: F811
    s = survey(mine, audience="all", org=mine.branch_b, minimum=1)
    questions = list(s.questions.order_by("order"))

    login(phone_page, live_server, "member_b", PASSWORD)
    phone_page.goto(f"{live_server.url}/surveys/mine/")
    card = phone_page.locator("[data-testid=my-survey]")
    expect(card).to_have_count(1)
    expect(card).to_contain_text(s.title)
    phone_page.shot("phone-list")
    phone_page.click("[data-testid=answer-link]")
    expect(phone_page.locator("[data-testid=question]")).to_have_count(len(questions))
    # a touch target as wide as the screen and at least 44px high
    first = phone_page.locator(f"label[for=q{questions[0].pk}-5]")
    box = first.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 300
    # submitting with a question left out is refused with a clear message
    phone_page.click("[data-testid=answer-submit]")
    expect(phone_page.locator("fieldset.border-danger").first).to_contain_text("请选择 1–5 分")
    for q in questions:
        if q.kind == "scale":
            phone_page.click(f"label[for=q{q.pk}-5]")
        elif q.kind == "choice":
            phone_page.click(f"label[for=q{q.pk}-o1]")
        else:
            phone_page.fill(f"#q{q.pk}-text", "希望多组织技术比武")
    phone_page.shot("phone-form")
    phone_page.click("[data-testid=answer-submit]")
    expect(phone_page.locator("[data-testid=my-survey]")).to_contain_text("已提交")
    phone_page.shot("phone-done")
    assert Participation.objects.filter(survey=s).count() == 1
    assert Response.objects.filter(survey=s).count() == 1

    login(page, live_server, "shuji", PASSWORD)
    page.goto(f"{live_server.url}/surveys/{s.pk}/")
    expect(page.locator("[data-testid=results-hidden]")).to_be_visible()
    page.click("[data-testid=survey-close]")
    expect(page.locator("[data-testid=survey-state]")).to_have_text("已结束")
    expect(page.locator("[data-testid=overall]")).to_contain_text("100")
    charts = page.locator("[data-echarts][data-rendered='1']")
    expect(charts).to_have_count(sum(1 for q in questions if q.kind != "text"))
    expect(page.locator("[data-testid=question-result]").last).to_contain_text("希望多组织技术比武")
    page.shot("results")
