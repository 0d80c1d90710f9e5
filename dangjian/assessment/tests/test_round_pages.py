"""Round and sheet pages: permission matrix (personas × in/out of scope), concurrency of two
clients on one sheet, conflict message, department scorer sees only its category, query counts
constant (sheet page 12 vs 67 criteria, round detail 2 vs 30 branches), self-check by phone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.assessment.models import AssessmentRound, Score, ScoreSheet
from dangjian.assessment.testing import build_round, build_scheme
from dangjian.core.scope import SYSTEM
from dangjian.orgs.services import org_create

State = AssessmentRound.State


@pytest.fixture
def rnd(mine):
    scheme = build_scheme(mine.committee)
    return build_round(scheme, [mine.branch_a, mine.branch_b], state=State.SCORING)


def _sheet(rnd, branch):
    return ScoreSheet.objects.get(round=rnd, branch=branch)


def _score(rnd, branch, code):
    return Score.objects.get(sheet__round=rnd, sheet__branch=branch, criterion__code=code)


# persona -> expected status for: round list, round detail, sheet A, sheet B, self-check A
MATRIX = {
    "shuji": (200, 200, 200, 200, 200),
    "zuzhi": (200, 200, 200, 200, 200),
    "union": (200, 200, 200, 200, 200),
    "secretary_a": (200, 200, 200, 404, 200),
    "worker_a": (200, 200, 200, 404, 200),
    # a member sees published rounds only: this one is not published, its sheets do not exist
    "member_b": (200, 404, 404, 404, 404),
    "employee_a": (403, 403, 403, 403, 403),
    "sysadmin": (403, 403, 403, 403, 403),
}


@pytest.mark.parametrize("persona", sorted(MATRIX))
def test_permission_matrix(mine, rnd, persona):
    client = mine.client(persona)
    a, b = _sheet(rnd, mine.branch_a), _sheet(rnd, mine.branch_b)
    urls = [
        reverse("assessment:round_list"),
        reverse("assessment:round_detail", args=[rnd.pk]),
        reverse("assessment:sheet_detail", args=[a.pk]),
        reverse("assessment:sheet_detail", args=[b.pk]),
        reverse("assessment:self_check", args=[a.pk]),
    ]
    got = tuple(client.get(u).status_code for u in urls)
    assert got == MATRIX[persona]


@pytest.mark.parametrize(
    ("persona", "code", "expected"),
    [
        ("shuji", "A1", 200),
        ("union", "D1", 200),
        ("union", "A1", 404),  # not its category: the row does not exist for it
        ("secretary_a", "A1", 403),
        ("member_b", "A1", 404),
        ("employee_a", "A1", 403),
    ],
)
def test_score_post_matrix(mine, rnd, persona, code, expected):
    s = _score(rnd, mine.branch_a, code)
    url = reverse("assessment:score_save", args=[s.sheet_id, s.pk])
    data = {"version": s.version, "points": str(s.criterion.max_points)}
    response = mine.client(persona).post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == expected
    s.refresh_from_db()
    assert (s.points is not None) == (expected == 200)


def test_branch_b_score_out_of_scope_for_secretary(mine, rnd):
    s = _score(rnd, mine.branch_b, "A1")
    url = reverse("assessment:self_score_save", args=[s.sheet_id, s.pk])
    assert mine.client("secretary_a").post(url, {"version": 1}).status_code == 404


def test_department_scorer_sees_only_its_category(mine, rnd):
    page = mine.client("union").get(
        reverse("assessment:sheet_detail", args=[_sheet(rnd, mine.branch_a).pk])
    )
    html = page.content.decode()
    assert 'data-category="D"' in html and 'data-category="A"' not in html
    assert html.count("保存本条") == 2
    secretary = mine.client("secretary_a").get(
        reverse("assessment:sheet_detail", args=[_sheet(rnd, mine.branch_a).pk])
    )
    text = secretary.content.decode()
    assert 'data-category="A"' in text and "保存本条" not in text  # reads, cannot score


def test_two_clients_same_score_conflict_nothing_lost(mine, rnd):
    s = _score(rnd, mine.branch_a, "A1")
    url = reverse("assessment:score_save", args=[s.sheet_id, s.pk])
    first, second = mine.client("shuji"), mine.client("zuzhi")
    base = {"version": s.version}
    r1 = first.post(url, {**base, "points": "18", "reason": "党课少一次"}, HTTP_HX_REQUEST="true")
    assert r1.status_code == 200 and "已保存" in r1.content.decode()
    r2 = second.post(url, {**base, "points": "15", "reason": "记录不全"}, HTTP_HX_REQUEST="true")
    html = r2.content.decode()
    assert r2.status_code == 409
    assert "该细则已被 shuji 于" in html and "修改" in html
    assert 'value="15"' in html and "记录不全" in html  # the user's input is kept
    s.refresh_from_db()
    assert s.points == Decimal("18.00") and s.reason == "党课少一次"
    # saving again on the current version (after reading the other's values) goes through
    r3 = second.post(
        url, {"version": s.version, "points": "15", "reason": "记录不全"}, HTTP_HX_REQUEST="true"
    )
    assert r3.status_code == 200
    s.refresh_from_db()
    assert s.points == Decimal("15.00")


def test_two_clients_different_criteria_both_kept(mine, rnd):
    a1, a2 = _score(rnd, mine.branch_a, "A1"), _score(rnd, mine.branch_a, "A2")
    c1, c2 = mine.client("shuji"), mine.client("zuzhi")
    r1 = c1.post(
        reverse("assessment:score_save", args=[a1.sheet_id, a1.pk]),
        {"version": a1.version, "points": "20"},
    )
    r2 = c2.post(
        reverse("assessment:score_save", args=[a2.sheet_id, a2.pk]),
        {"version": a2.version, "points": "19", "reason": "扣1分"},
    )
    assert (r1.status_code, r2.status_code) == (200, 200)
    a1.refresh_from_db()
    a2.refresh_from_db()
    assert (a1.points, a2.points) == (Decimal("20.00"), Decimal("19.00"))


def test_deduction_without_reason_refused_in_page(mine, rnd):
    s = _score(rnd, mine.branch_a, "A1")
    url = reverse("assessment:score_save", args=[s.sheet_id, s.pk])
    r = mine.client("shuji").post(url, {"version": s.version, "points": "10"})
    assert r.status_code == 400 and "扣分须写明扣分理由" in r.content.decode()


def test_locked_after_final(mine, rnd):
    AssessmentRound.objects.filter(pk=rnd.pk).update(state=State.FINAL)
    s = _score(rnd, mine.branch_a, "A1")
    page = mine.client("shuji").get(reverse("assessment:sheet_detail", args=[s.sheet_id]))
    assert "保存本条" not in page.content.decode()
    r = mine.client("shuji").post(
        reverse("assessment:score_save", args=[s.sheet_id, s.pk]),
        {"version": s.version, "points": "20"},
    )
    assert r.status_code == 400 and "定稿" in r.content.decode()


def test_round_create_and_advance_pages(mine):
    scheme = build_scheme(mine.committee)
    client = mine.client("shuji")
    assert client.get(reverse("assessment:round_create")).status_code == 200
    response = client.post(
        reverse("assessment:round_create"),
        {
            "scheme": scheme.pk,
            "name": "2026年第二季度考核",
            "kind": "quarterly",
            "year": 2026,
            "quarter": 2,
            "opens_on": "2026-07-01",
            "closes_on": "2026-07-20",
            "branches": [mine.branch_a.pk, mine.branch_b.pk],
        },
    )
    assert response.status_code == 302
    rnd = AssessmentRound.objects.get(name="2026年第二季度考核")
    assert rnd.sheets.count() == 2
    r = client.post(
        reverse("assessment:round_advance", args=[rnd.pk]), {"to_state": "final"}, follow=True
    )
    assert "只能进入" in r.content.decode()
    client.post(reverse("assessment:round_advance", args=[rnd.pk]), {"to_state": "self_check"})
    rnd.refresh_from_db()
    assert rnd.state == State.SELF_CHECK
    assert (
        mine.client("secretary_a")
        .post(reverse("assessment:round_advance", args=[rnd.pk]), {"to_state": "scoring"})
        .status_code
        == 403
    )
    # the branch fills in its self-check on the phone page and submits
    sheet = _sheet(rnd, mine.branch_a)
    sec = mine.client("secretary_a")
    assert sec.get(reverse("assessment:self_check_home")).status_code == 302
    data = {
        "version": 1,
        "practices": "做法",
        "highlights": "亮点",
        "problems": "问题",
        "plans": "打算",
        "submit": "1",
    }
    r = sec.post(reverse("assessment:self_check", args=[sheet.pk]), data)
    assert r.status_code == 302
    sheet.self_check.refresh_from_db()
    assert sheet.self_check.submitted_at is not None
    # stale version: refused, input kept
    r = mine.client("worker_a").post(
        reverse("assessment:self_check", args=[sheet.pk]), {**data, "practices": "覆盖"}
    )
    assert r.status_code in (400, 409)
    sheet.self_check.refresh_from_db()
    assert sheet.self_check.practices == "做法"


def test_objection_page_flow(mine, rnd):
    Score.objects.filter(sheet__round=rnd).update(points=Decimal("5"))
    for s in Score.objects.filter(sheet__round=rnd).select_related("criterion"):
        s.points = s.criterion.max_points
        s.save(update_fields=["points"])
    AssessmentRound.objects.filter(pk=rnd.pk).update(state=State.REVIEW)
    shuji = mine.client("shuji")
    shuji.post(reverse("assessment:round_advance", args=[rnd.pk]), {"to_state": "notice"})
    rnd.refresh_from_db()
    assert rnd.state == State.NOTICE and rnd.is_public
    a1 = _score(rnd, mine.branch_a, "A1")
    sec = mine.client("secretary_a")
    b_sheet = _sheet(rnd, mine.branch_b)
    # after publication the secretary sees B's results, but cannot object for B
    r = sec.post(
        reverse("assessment:objection_create", args=[b_sheet.pk]),
        {"criteria": [a1.criterion_id], "text": "x"},
    )
    assert r.status_code in (403, 404)
    r = sec.post(
        reverse("assessment:objection_create", args=[a1.sheet_id]),
        {"criteria": [a1.criterion_id], "text": "党课记录已补充"},
    )
    assert r.status_code == 302
    obj = a1.sheet.objections.get()
    r = shuji.post(
        reverse("assessment:objection_resolve", args=[rnd.pk, obj.pk]),
        {"decision": "upheld", "resolution": "成立，重评"},
    )
    assert r.status_code == 302
    assert list(
        Score.objects.filter(sheet__round=rnd, reopened=True).values_list("pk", flat=True)
    ) == [a1.pk]
    page = shuji.get(reverse("assessment:sheet_detail", args=[a1.sheet_id])).content.decode()
    assert page.count("保存本条") == 1


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_sheet_page_queries_constant(mine):
    small = build_scheme(mine.committee, criteria_per_category=2)  # 12 criteria
    big = build_scheme(mine.committee, year=2027, criteria_per_category=11)  # 66 criteria
    r1 = build_round(small, [mine.branch_a], state=State.SCORING)
    r2 = build_round(big, [mine.branch_a], state=State.SCORING)
    client = mine.client("shuji")
    u1 = reverse("assessment:sheet_detail", args=[_sheet(r1, mine.branch_a).pk])
    u2 = reverse("assessment:sheet_detail", args=[_sheet(r2, mine.branch_a).pk])
    _count(client, u1)
    assert _count(client, u1) == _count(client, u2)


def test_round_detail_queries_constant(mine):
    scheme = build_scheme(mine.committee)
    many = [
        org_create(name=f"支部{i}", kind="branch", parent=mine.committee, actor=SYSTEM)
        for i in range(28)
    ]
    r1 = build_round(scheme, [mine.branch_a, mine.branch_b], state=State.SCORING)
    r2 = build_round(scheme, [mine.branch_a, mine.branch_b, *many], state=State.SCORING, quarter=2)
    client = mine.client("shuji")
    _count(client, reverse("assessment:round_detail", args=[r1.pk]))
    assert _count(client, reverse("assessment:round_detail", args=[r1.pk])) == _count(
        client, reverse("assessment:round_detail", args=[r2.pk])
    )
    assert _count(client, reverse("assessment:round_list")) > 0


def test_spot_check_page(mine, rnd):
    client = mine.client("shuji")
    url = reverse("assessment:spot_checks", args=[rnd.pk])
    assert client.get(url).status_code == 200
    r = client.post(url, {"method": "random", "count": "1", "seed": "s1"}, follow=True)
    assert "已选取" in r.content.decode()
    assert mine.client("secretary_a").post(url, {"method": "random"}).status_code == 403
    assert mine.client("member_b").get(url).status_code == 403
    _ = dt


# persona -> (export allowed, rounds in the file)
EXPORT = {
    "shuji": (200, 2),
    "zuzhi": (200, 2),
    "secretary_a": (200, 1),  # only the round branch A is assessed in
    "member_b": (403, 0),
    "union": (403, 0),
    "sysadmin": (403, 0),
}


@pytest.mark.parametrize("persona", sorted(EXPORT))
def test_round_list_export_scoped(mine, persona):
    from dangjian.core.exports import exporter

    scheme = build_scheme(mine.committee)
    build_round(scheme, [mine.branch_a, mine.branch_b], state=State.SCORING, name="第一季度考核")
    build_round(scheme, [mine.branch_b], state=State.SELF_CHECK, quarter=2, name="第二季度考核")
    status, count = EXPORT[persona]
    resp = mine.client(persona).post(reverse("assessment:round_export"), {"year": "2026"})
    assert resp.status_code == status
    headers, found = exporter("assessment.rounds")[1](mine.users[persona], {"year": "2026"})
    rows = [list(r) for r in found]
    assert len(rows) == count and next(iter(headers)) == "名称"
    if persona == "secretary_a":
        assert rows[0][0] == "第一季度考核" and rows[0][9] == 2  # two branches in that round
    if persona == "shuji":
        assert {r[0] for r in rows} == {"第一季度考核", "第二季度考核"}
        none = exporter("assessment.rounds")[1](mine.users[persona], {"year": "2025"})[1]
        assert list(none) == []
