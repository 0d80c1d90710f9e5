"""Result pages and selectors: who sees which ranking and card, before and after publication;
stars, vetoes, warnings, history; query counts constant as branches grow."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.assessment.models import AssessmentRound, ScoreSheet
from dangjian.assessment.selectors import results as sel
from dangjian.assessment.tests.engine_helpers import more_branches
from dangjian.assessment.tests.reports_helpers import graded_round
from dangjian.core.testing import ROLES

pytestmark = pytest.mark.django_db

RESULT_READERS = {"shuji", "zuzhi", "union", "secretary_a", "worker_a", "member_b"}
LEADS = {"shuji", "zuzhi"}


def _sheet(rnd, branch) -> ScoreSheet:
    return ScoreSheet.objects.get(round=rnd, branch=branch)


@pytest.fixture
def published(mine):
    return graded_round(mine, {mine.branch_a: 92, mine.branch_b: 55}, quarter=1)


@pytest.fixture
def unpublished(mine):
    return graded_round(mine, {mine.branch_a: 81, mine.branch_b: 66}, quarter=2, public=False)


@pytest.mark.parametrize("role", ROLES)
def test_page_matrix_published_round(mine, published, role):
    client = mine.client(role)
    a, b = _sheet(published, mine.branch_a), _sheet(published, mine.branch_b)
    reader = role in RESULT_READERS
    expected = 200 if reader else 403
    assert client.get(reverse("assessment:results")).status_code == expected
    assert client.get(reverse("assessment:my_results")).status_code == expected
    assert client.get(reverse("assessment:round_results", args=[published.pk])).status_code == (
        expected
    )
    # announced: every reader under the committee sees both cards
    for sheet in (a, b):
        assert client.get(reverse("assessment:score_card", args=[sheet.pk])).status_code == (
            expected
        )
    dashboard = client.get(reverse("assessment:dashboard"))
    assert dashboard.status_code == (200 if role in LEADS else 403)


@pytest.mark.parametrize("role", sorted(RESULT_READERS))
def test_unpublished_round_only_own_sheet_and_no_results(mine, unpublished, role):
    client = mine.client(role)
    a, b = _sheet(unpublished, mine.branch_a), _sheet(unpublished, mine.branch_b)
    page = client.get(reverse("assessment:round_results", args=[unpublished.pk]))
    card_a = client.get(reverse("assessment:score_card", args=[a.pk]))
    card_b = client.get(reverse("assessment:score_card", args=[b.pk]))
    if role in LEADS or role == "union":
        assert (page.status_code, card_a.status_code, card_b.status_code) == (200, 200, 200)
    elif role in {"secretary_a", "worker_a"}:
        assert (page.status_code, card_a.status_code, card_b.status_code) == (200, 200, 404)
        html = page.content.decode()
        assert "综采一队党支部" in html and "掘进二队党支部" not in html
        assert 'data-testid="not-public"' in html
        assert "81" not in page.context["results"].rows[0].sheet.branch_name
        assert 'data-testid="not-public"' in card_a.content.decode()
        assert 'data-testid="rank-position"' not in card_a.content.decode()
    else:  # a member sees nothing of a round not yet announced
        assert (page.status_code, card_a.status_code, card_b.status_code) == (404, 404, 404)
    if role == "union":  # a scorer: not a result yet
        assert 'data-testid="not-public"' in page.content.decode()


def test_ranking_shows_totals_stars_and_marks(mine, published):
    ScoreSheet.objects.filter(round=published, branch=mine.branch_b).update(
        vetoed=True, veto_reason="发生安全生产责任事故", star=None
    )
    ScoreSheet.objects.filter(round=published, branch=mine.branch_a).update(is_model_site=True)
    html = (
        mine.client("secretary_a")
        .get(reverse("assessment:round_results", args=[published.pk]))
        .content.decode()
    )
    a = _sheet(published, mine.branch_a)
    assert a.rank == 1 and a.total == Decimal("92.00") and a.star
    assert "92" in html and "★" * a.star in html
    assert "一票否决" in html and "示范点" in html
    rows = (
        mine.client("shuji")
        .get(reverse("assessment:round_results", args=[published.pk]), {"star": str(a.star)})
        .context["results"]
        .rows
    )
    assert [r.sheet.branch_id for r in rows] == [mine.branch_a.pk]
    rows = (
        mine.client("shuji")
        .get(reverse("assessment:round_results", args=[published.pk]), {"q": "掘进"})
        .context["results"]
        .rows
    )
    assert [r.sheet.branch_id for r in rows] == [mine.branch_b.pk]


def test_score_card_rank_position_radar_and_lines(mine, published):
    b = _sheet(published, mine.branch_b)
    response = mine.client("shuji").get(reverse("assessment:score_card", args=[b.pk]))
    html = response.content.decode()
    assert "第 2 名 / 共 2 个支部" in html
    radar = response.context["radar"]
    assert [i["name"] for i in radar["radar"]["indicator"]][:2] == ["党建工作", "宣传思想工作"]
    assert sum(radar["series"][0]["data"][0]["value"]) == pytest.approx(55)
    assert "会议记录不全" in html and "听取汇报" in html
    lines = [line for c in response.context["card"].categories for line in c.lines]
    assert len(lines) == 12


def test_department_scorer_sees_only_its_category_lines(mine, published):
    a = _sheet(published, mine.branch_a)
    card = mine.client("union").get(reverse("assessment:score_card", args=[a.pk])).context["card"]
    with_lines = [c.head.domain for c in card.categories if c.lines]
    assert with_lines == ["union"]
    member = mine.client("member_b").get(reverse("assessment:score_card", args=[a.pk]))
    assert not [c for c in member.context["card"].categories if c.lines]
    assert "第 1 名 / 共 2 个支部" in member.content.decode()


def test_my_results_lists_own_branch_and_history(mine, published):
    second = graded_round(mine, {mine.branch_a: 65, mine.branch_b: 85}, quarter=2)
    response = mine.client("secretary_a").get(reverse("assessment:my_results"))
    sheets = [s for s, _stars in response.context["sheets"]]
    assert {s.branch_id for s in sheets} == {mine.branch_a.pk}
    assert {s.round_id for s in sheets} == {published.pk, second.pk}
    (history,) = response.context["history"]
    assert [e.total for e in history.quarters] == [Decimal("92.00"), Decimal("65.00")]
    assert history.quarters[1].move < 0
    member = mine.client("member_b").get(reverse("assessment:my_results"))
    assert {s.branch_id for s, _ in member.context["sheets"]} == {mine.branch_b.pk}


def test_dashboard_trend_heatmap_stars_and_warnings(mine, published):
    second = graded_round(mine, {mine.branch_a: 65, mine.branch_b: 85}, quarter=2)
    ScoreSheet.objects.filter(round=second, branch=mine.branch_b).update(
        vetoed=True, veto_reason="违反廉洁纪律"
    )
    response = mine.client("shuji").get(reverse("assessment:dashboard"))
    ctx = response.context
    assert ctx["round"].pk == second.pk
    trend = ctx["options"]["trend"]
    assert trend["xAxis"]["data"] == ["2026年Q1", "2026年Q2"]
    series = {s["name"]: s["data"] for s in trend["series"]}
    assert series["综采一队党支部"] == [92.0, 65.0]
    heat = ctx["options"]["heat"]
    assert heat["yAxis"]["data"] == ["掘进二队党支部", "综采一队党支部"]
    first_cells = [d["value"] for d in heat["series"][0]["data"] if d["value"][1] == 0]
    assert first_cells[0] == [0, 0, 100.0]  # branch B: 85 filled in order → 党建 full
    assert heat["series"][0]["data"][0]["url"] == reverse(
        "assessment:score_card", args=[_sheet(second, mine.branch_b).pk]
    )
    texts = [(w.sheet.branch_id, w.text) for w in ctx["warnings"]]
    assert (mine.branch_b.pk, "一票否决：违反廉洁纪律") in texts
    assert any(b == mine.branch_a.pk and "星级下降" in t for b, t in texts)
    first = mine.client("shuji").get(reverse("assessment:dashboard"), {"round": published.pk})
    assert any("低于 60" in w.text for w in first.context["warnings"])
    assert dict(ctx["distribution"])["无星"] >= 0
    assert (
        mine.client("shuji").get(reverse("assessment:dashboard"), {"round": 999999}).status_code
        == 404
    )


def test_selectors_hide_unpublished_results_from_branches(mine, unpublished):
    assert sel.result_rounds(mine.users["secretary_a"]).count() == 0
    assert sel.result_rounds(mine.users["shuji"]).count() == 1
    assert sel.latest_round(mine.users["member_b"]) is None
    AssessmentRound.objects.filter(pk=unpublished.pk).update(is_public=True)
    latest = sel.latest_round(mine.users["member_b"])
    assert latest is not None and latest.pk == unpublished.pk


def test_home_card_fragment(mine, published):
    html = mine.client("secretary_a").get(reverse("assessment:home_card")).content.decode()
    assert 'data-testid="own-result"' in html and "第 1 名 / 共 2 个支部" in html
    assert mine.client("employee_a").get(reverse("assessment:home_card")).content == b""


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_constant_for_2_and_30_branches(mine):
    graded_round(mine, {mine.branch_a: 95, mine.branch_b: 72}, quarter=1)
    small = graded_round(mine, {mine.branch_a: 90, mine.branch_b: 70}, quarter=2)
    client = mine.client("shuji")
    pages = lambda rnd: [  # noqa: E731
        reverse("assessment:round_results", args=[rnd.pk]),
        reverse("assessment:dashboard") + f"?round={rnd.pk}",
        reverse("assessment:score_card", args=[rnd.sheets.first().pk]),
    ]
    before = [_count(client, url) for url in pages(small)]
    branches = [mine.branch_a, mine.branch_b, *more_branches(mine, 28)]
    graded_round(mine, {b: 50 + i for i, b in enumerate(branches)}, quarter=3)
    big = graded_round(mine, {b: 60 + i for i, b in enumerate(branches)}, quarter=4)
    client = mine.client("shuji")
    after = [_count(client, url) for url in pages(big)]
    assert after == before
    trend = client.get(reverse("assessment:dashboard")).context["trend"]
    assert trend["branches"] == 30 and len(trend["series"]) == 10  # top and bottom five
