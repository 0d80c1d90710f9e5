"""Assessment pages in Chromium beyond the quarter's flow:

* the committee edits its scheme: a new version, a criterion's points changed (publishing is
  refused with the precise sum problem), put right, published; the old version is retired;
* after ``dangjian demo``: the committee dashboard draws its charts (ranking, stars, trend,
  heatmap), a score card draws its radar, the annual evaluation shows the moves; a branch
  secretary on a phone sees the branch's rank; a member sees the published ranking.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.assessment.models import AnnualEvaluation, AssessmentScheme, Criterion, ScoreSheet
from dangjian.assessment.services.schemes import scheme_load_standard
from dangjian.core.scope import SYSTEM
from dangjian.core.testing import PASSWORD
from dangjian.demo.mine import DEMO_PASSWORD, load_demo_mine
from tests.browser.conftest import browser_instance, login, page, phone_page  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _charts_drawn(page, *testids: str) -> None:  # noqa: F811
    for testid in testids:
        expect(page.locator(f"[data-testid={testid}] canvas").first).to_be_attached()


def test_scheme_new_version_edit_and_publish(page, live_server, mine):  # noqa: F811
    year = timezone.localdate().year
    first = scheme_load_standard(actor=SYSTEM, party_org=mine.committee, year=year)
    login(page, live_server, "shuji", PASSWORD)
    page.goto(f"{live_server.url}/assessment/schemes/{first.pk}/")
    expect(page.locator("[data-testid=scheme-publish]")).to_have_count(0)  # frozen
    page.click("[data-testid=scheme-new-version]")
    draft = AssessmentScheme.objects.get(based_on=first)
    expect(page).to_have_url(f"{live_server.url}/assessment/schemes/{draft.pk}/")
    crit = Criterion.objects.filter(category__scheme=draft).order_by("id")[0]
    code = crit.code
    row = page.locator(f"[data-testid=criterion-{code}]")
    row.get_by_role("link", name="修改").click()
    form = page.locator("[data-testid=criterion-form]")
    form.locator("input[name=max_points]").fill(str(crit.max_points + 1))
    form.get_by_role("button", name="保存").click()
    expect(page.locator("[data-testid=scheme-problems]")).to_contain_text("多 1")
    page.shot("scheme-problem")
    page.click("[data-testid=scheme-publish]")
    expect(page.locator("[data-testid=scheme-problems]")).to_be_visible()
    draft.refresh_from_db()
    assert draft.state == AssessmentScheme.State.DRAFT  # refused: the sums do not add up
    page.locator(f"[data-testid=criterion-{code}]").get_by_role("link", name="修改").click()
    form = page.locator("[data-testid=criterion-form]")
    form.locator("input[name=max_points]").fill(str(crit.max_points))
    form.get_by_role("button", name="保存").click()
    expect(page.locator("[data-testid=scheme-problems]")).to_have_count(0)
    page.click("[data-testid=scheme-publish]")
    expect(page.locator("[data-testid=scheme-new-version]")).to_be_visible()
    page.shot("scheme-published")
    draft.refresh_from_db()
    first.refresh_from_db()
    assert draft.state == AssessmentScheme.State.PUBLISHED and draft.version == 2
    assert first.state == AssessmentScheme.State.RETIRED
    assert Criterion.objects.get(category__scheme=draft, code=code).max_points == crit.max_points


def test_dashboard_card_annual_and_results_on_phone(page, phone_page, live_server):  # noqa: F811
    load_demo_mine()
    login(page, live_server, "shuji", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/assessment/dashboard/")
    expect(page.locator("[data-testid=dash-ranking]")).to_be_visible()
    _charts_drawn(page, "chart-stars", "chart-trend", "chart-heat")
    page.shot("dashboard")
    latest = ScoreSheet.objects.filter(round__state="final").order_by("-round__period_end", "rank")
    best = latest.first()
    assert best is not None and best.rank == 1
    page.goto(f"{live_server.url}/assessment/results/card/{best.pk}/")
    _charts_drawn(page, "chart-radar")
    expect(page.locator("[data-testid=rank-position]")).to_contain_text("第 1 名")
    page.shot("score-card")
    page.goto(f"{live_server.url}/assessment/annual/")
    expect(page.locator("[data-testid=annual-table]")).to_be_visible()
    evaluation = AnnualEvaluation.objects.get()
    page.locator(f"[data-testid=annual-table] a[href$='/annual/{evaluation.pk}/']").first.click()
    expect(page.locator("[data-testid=annual-results]")).to_contain_text("★")
    page.shot("annual")

    # a branch secretary on a phone: the branch's own rank and star history
    login(phone_page, live_server, "branch01", DEMO_PASSWORD)
    phone_page.goto(f"{live_server.url}/assessment/results/mine/")
    expect(phone_page.locator("[data-testid=my-sheets]")).to_contain_text("名")
    phone_page.shot("my-results-phone")

    # a member sees the published ranking of the latest round
    page.context.clear_cookies()
    login(page, live_server, "member001", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/assessment/results/{best.round_id}/")
    expect(page.locator("body")).to_contain_text(best.branch_name)
    assert best.total is not None and best.total > Decimal("60")
    page.shot("member-results")
