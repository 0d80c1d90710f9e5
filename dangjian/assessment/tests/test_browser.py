"""A whole quarter of 六考一评 for the demo mine, in Chromium.

The political-work department (zhenggong) opens the round over three branches and starts the
self-check; branch 1's secretary submits the self-check report on a phone; scoring starts and the
automatic criteria come computed from the ledgers; the union (gonghui) scores its category on
branch 1's sheet (and sees no other category); an indicator-scored criterion shows the meetings
behind it; the results are published with stars; branch 1 raises an objection, the department
upholds it and only the disputed criterion reopens; the 通报 is downloaded and holds the ranking.
The other departments' scores and the other branches' reports are entered through the services,
as they would be by other people at the same time.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.accounts.models import User
from dangjian.assessment.models import (
    AssessmentRound,
    AssessmentScheme,
    Criterion,
    Score,
    ScoringMethod,
)
from dangjian.assessment.services import sheets as sheet_services
from dangjian.core.scope import SYSTEM
from dangjian.demo.mine import DEMO_PASSWORD, load_demo_mine
from dangjian.orgs.models import PartyOrg
from dangjian.surveys.models import Survey
from tests.browser.conftest import browser_instance, login, page, phone_page  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _switch(page, live_server, username: str, path: str) -> None:  # noqa: F811
    page.context.clear_cookies()
    login(page, live_server, username, DEMO_PASSWORD)
    page.goto(f"{live_server.url}{path}")


def _score_everything_but(rnd: AssessmentRound, *, skip_sheet: int, skip_domain: str) -> None:
    """The other departments' scores (full marks; veto items clear)."""
    for score in Score.objects.filter(sheet__round=rnd).select_related("criterion__category"):
        crit = score.criterion
        if score.sheet_id == skip_sheet and crit.category.domain == skip_domain:
            continue
        if crit.is_bonus and crit.method == ScoringMethod.COUNT:
            values: dict = {"count_value": 0}
        elif crit.is_bonus:
            values = {"points": Decimal("0"), "reason": "本季度无加分事项"}
        elif crit.method == ScoringMethod.MANUAL:
            values = {"points": crit.max_points}
        else:
            continue  # computed from the records, or counted by its formula
        sheet_services.score_save(
            actor=SYSTEM,
            score_id=score.pk,
            version=score.version,
            evidence_methods=["report", "documents"],
            **values,
        )


def test_a_whole_quarter(page, phone_page, live_server):  # noqa: F811
    load_demo_mine()
    # the demo's current round is replaced by the one the department opens in this test
    open_round = AssessmentRound.objects.exclude(state=AssessmentRound.State.FINAL).get()
    Survey.objects.filter(context=f"assessment.round:{open_round.pk}").delete()
    open_round.delete()
    branches = list(PartyOrg.objects.filter(kind="branch").order_by("path")[:3])
    today = timezone.localdate()
    quarter = (today.month - 1) // 3 + 1

    # 1. the political-work department opens the round and starts the self-check
    _switch(page, live_server, "zhenggong", "/assessment/rounds/new/")
    scheme = AssessmentScheme.objects.get(year=today.year, state="published")
    page.get_by_label("考核方案").select_option(str(scheme.pk))
    page.get_by_label("考核名称").fill(f"{today.year}年第{quarter}季度“六考一评”考核")
    page.get_by_label("年度").fill(str(today.year))
    page.get_by_label("季度").select_option(str(quarter))
    page.get_by_label("开始日期").fill(today.isoformat())
    page.get_by_label("截止日期").fill((today + dt.timedelta(days=20)).isoformat())
    for branch in branches:
        page.get_by_label(branch.name, exact=True).check()
    page.shot("round-form")
    page.get_by_role("button", name="创建").click()
    expect(page.locator("h1")).to_contain_text("季度“六考一评”考核")
    rnd = AssessmentRound.objects.exclude(state=AssessmentRound.State.FINAL).get()
    assert rnd.sheets.count() == 3
    page.click("[data-testid=round-advance]")
    expect(page.locator("h1 .badge")).to_have_text("支部自查")
    page.shot("round-self-check")

    # 2. branch 1's secretary writes and submits the self-check on a phone
    sheet_1 = rnd.sheets.get(branch=branches[0])
    secretary = User.objects.get(username="branch01")
    assert secretary.role_assignments.get().party_org_id == branches[0].pk
    phone_page.context.clear_cookies()
    login(phone_page, live_server, "branch01", DEMO_PASSWORD)
    phone_page.goto(f"{live_server.url}/assessment/self-check/")
    # the only open self-check opens directly
    assert phone_page.url.endswith(f"/assessment/sheets/{sheet_1.pk}/self-check/")
    for name, text in (
        ("practices", "坚持“三会一课”，党员安全责任区全覆盖。"),
        ("highlights", "“安全先锋”支部品牌，党员攻关小组解决难题3项。"),
        ("problems", "青年党员思想汇报不够及时。"),
        ("plans", "下季度开展青年党员导师帮带。"),
    ):
        phone_page.fill(f"#sc-{name}", text)
    phone_page.shot("self-check-phone")
    phone_page.get_by_role("button", name="保存并提交").click()
    expect(phone_page.locator("body")).to_contain_text("已提交")
    sheet_1.self_check.refresh_from_db()
    assert sheet_1.self_check.submitted_at is not None
    for sheet in rnd.sheets.exclude(pk=sheet_1.pk):
        check = sheet.self_check
        sheet_services.self_check_save(
            actor=SYSTEM,
            sheet_id=sheet.pk,
            version=check.version,
            practices="按要求开展组织生活。",
            highlights="党员先锋岗。",
            problems="记录不够规范。",
            plans="加强台账管理。",
        )
        sheet_services.self_check_submit(actor=SYSTEM, sheet_id=sheet.pk)

    # 3. scoring starts; the automatic criteria arrive computed from the records
    _switch(page, live_server, "zhenggong", f"/assessment/rounds/{rnd.pk}/")
    page.click("[data-testid=round-advance]")
    expect(page.locator("h1 .badge")).to_have_text("考核评分")
    meetings = (
        Criterion.objects.filter(
            category__scheme=rnd.scheme, indicator_key="orglife.theme_day_held"
        ).first()
        or Criterion.objects.filter(
            category__scheme=rnd.scheme, indicator_key__startswith="orglife."
        ).first()
    )
    assert meetings is not None
    computed = Score.objects.get(sheet=sheet_1, criterion=meetings)
    assert computed.computed_points is not None and computed.computed_records
    page.goto(f"{live_server.url}/assessment/sheets/{sheet_1.pk}/")
    card = page.locator(f"#score-{computed.pk}")
    expect(card.locator("[data-computed]")).to_contain_text("依据记录")
    page.shot("indicator-records")
    card.locator("[data-computed] a").first.click()
    expect(page.locator("h1")).to_be_visible()
    assert "/orglife/" in page.url  # the meeting behind the points opens
    page.shot("indicator-record-opened")

    # 4. the union scores its category of branch 1 (and sees only that category)
    _score_everything_but(rnd, skip_sheet=sheet_1.pk, skip_domain="union")
    _switch(page, live_server, "gonghui", f"/assessment/sheets/{sheet_1.pk}/")
    sections = page.locator("section[data-category]")
    expect(sections).to_have_count(1)
    union = Score.objects.filter(sheet=sheet_1, criterion__category__domain="union").select_related(
        "criterion"
    )
    manual = [s for s in union if s.criterion.method == ScoringMethod.MANUAL]
    assert manual
    deducted = manual[0]
    for score in manual:
        card = page.locator(f"#score-{score.pk}")
        if score.pk == deducted.pk:
            card.locator("input[name=points]").fill(str(score.criterion.max_points - 1))
            card.locator("input[name=reason]").fill("职代会提案答复不及时，扣1分")
        else:
            card.locator("input[name=points]").fill(str(score.criterion.max_points))
        card.locator("input[name=evidence_methods][value=documents]").check()
        card.get_by_role("button", name="保存本条").click()
        expect(page.locator(f"#score-{score.pk} [role=status]")).to_have_text("已保存")
    page.shot("union-scored")
    deducted.refresh_from_db()
    assert deducted.points == deducted.criterion.max_points - 1 and deducted.reason

    # 5. review and publication with stars
    _switch(page, live_server, "zhenggong", f"/assessment/rounds/{rnd.pk}/")
    page.click("[data-testid=round-advance]")
    expect(page.locator("h1 .badge")).to_have_text("审核")
    page.click("[data-testid=round-advance]")
    expect(page.locator("h1 .badge")).to_have_text("公示")
    rnd.refresh_from_db()
    assert rnd.is_public
    page.goto(f"{live_server.url}/assessment/results/{rnd.pk}/")
    expect(page.locator("body")).to_contain_text("★")
    page.shot("results-stars")
    ranks = sorted(r or 0 for r in rnd.sheets.values_list("rank", flat=True))
    assert ranks == [1, 2, 3]
    assert all(s.star for s in rnd.sheets.all() if not s.vetoed)

    # 6. branch 1 objects to the union's deduction; the department upholds it
    _switch(page, live_server, "branch01", f"/assessment/sheets/{sheet_1.pk}/")
    page.check(f"#ob{deducted.pk}")
    page.fill("#ob-text", "职代会提案已于期内答复，答复记录已上传，请复核。")
    page.get_by_role("button", name="提交异议").click()
    expect(page.locator("body")).to_contain_text("职代会提案已于期内答复")
    page.shot("objection-raised")
    _switch(page, live_server, "zhenggong", f"/assessment/rounds/{rnd.pk}/")
    item = page.locator("[data-objection]").first
    item.get_by_label("处理意见").fill("经复核异议成立，重评该项。")
    item.get_by_label("结论").select_option("upheld")
    item.get_by_role("button", name="处理").click()
    expect(page.locator("[data-objection]").first).to_contain_text("异议成立")
    page.shot("objection-upheld")
    reopened = Score.objects.filter(sheet__round=rnd, reopened=True)
    assert list(reopened.values_list("pk", flat=True)) == [deducted.pk]

    # 7. the 通报 is downloaded and holds the ranking with stars
    page.goto(f"{live_server.url}/assessment/results/{rnd.pk}/")
    with page.expect_download() as info:
        page.click("[data-testid=notice-docx]")
    target = Path(info.value.path())
    from docx import Document

    document = Document(str(target))
    text = "\n".join(
        [p.text for p in document.paragraphs]
        + [c.text for t in document.tables for r in t.rows for c in r.cells]
    )
    assert rnd.name in text
    for branch in branches:
        assert branch.name in text
    assert "★" in text
