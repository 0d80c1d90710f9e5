"""Appraisal pages and API: permission matrix (in scope / out of scope / no permission), the
grading sheet with the cap message, results, my appraisal and ballots, flat query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.appraisal import services
from dangjian.appraisal.models import AppraisalEntry, AppraisalRound, Grade
from dangjian.appraisal.tests.helpers import add_members, round_in, secretary_of_b
from dangjian.core.registries import nav_for

pytestmark = pytest.mark.django_db

# persona -> (status for branch A's round, status for branch B's round)
DETAIL = {
    "shuji": (200, 200),
    "zuzhi": (200, 200),
    "union": (200, 200),
    "secretary_a": (200, 404),
    "worker_a": (200, 404),
    "member_b": (403, 403),
    "employee_a": (403, 403),
    "sysadmin": (403, 403),
    "secadmin": (403, 403),
    "auditor": (403, 403),
}
WRITERS = {"shuji", "zuzhi", "secretary_a", "worker_a"}


def _rounds(mine):
    a = round_in(mine, "draft")
    b = services.round_create(actor=mine.users["shuji"], branch_id=mine.branch_b.pk, year=2025)
    return a, b


@pytest.mark.parametrize("role", list(DETAIL))
def test_permission_matrix(mine, role):
    a, b = _rounds(mine)
    client = mine.client(role)
    inside, outside = DETAIL[role]
    assert client.get(reverse("appraisal:list")).status_code == (403 if inside == 403 else 200)
    for name in ("detail", "results", "evaluators"):
        assert client.get(reverse(f"appraisal:{name}", args=[a.pk])).status_code == inside, name
        assert client.get(reverse(f"appraisal:{name}", args=[b.pk])).status_code == outside, name
    create = client.get(reverse("appraisal:create")).status_code
    assert create == (200 if role in WRITERS else 403)
    advance_b = client.post(reverse("appraisal:advance", args=[b.pk])).status_code
    if role in WRITERS:
        assert advance_b == (302 if role in {"shuji", "zuzhi"} else 404)
    else:
        assert advance_b == 403
    api = client.get(f"/api/v1/appraisal/rounds/{b.pk}")
    assert api.status_code == outside
    listed = client.get("/api/v1/appraisal/rounds")
    if inside == 200:
        ids = {item["id"] for item in listed.json()["items"]}
        assert a.pk in ids and (b.pk in ids) == (outside == 200)
    else:
        assert listed.status_code == 403
    visible = {i.url_name for _, items in nav_for(mine.users[role]) for i in items}
    assert ("appraisal:list" in visible) == (inside == 200)


def test_mine_page_for_members_and_masses(mine):
    assert mine.client("employee_a").get(reverse("appraisal:mine")).status_code == 200
    assert mine.client("member_b").get(reverse("appraisal:mine")).status_code == 200
    assert mine.client("sysadmin").get(reverse("appraisal:mine")).status_code == 403


def test_grading_sheet_shows_the_cap_message_and_keeps_the_grades(mine):
    add_members(mine, 2)  # 3 members → at most 1 优秀
    rnd = round_in(mine, "evaluation")
    client = mine.client("secretary_a")
    entries = list(AppraisalEntry.objects.filter(round=rnd))
    data = {f"grade-{e.pk}": Grade.EXCELLENT for e in entries[:2]}
    response = client.post(reverse("appraisal:grade", args=[rnd.pk]), data)
    assert response.status_code == 400
    assert "优秀等次不得超过参评党员的三分之一（最多 1 名）" in response.content.decode()
    assert not AppraisalEntry.objects.filter(round=rnd, grade=Grade.EXCELLENT).exists()
    data = {f"grade-{e.pk}": Grade.QUALIFIED for e in entries}
    data[f"grade-{entries[0].pk}"] = Grade.EXCELLENT
    assert client.post(reverse("appraisal:grade", args=[rnd.pk]), data).status_code == 302
    assert client.post(reverse("appraisal:advance", args=[rnd.pk])).status_code == 302
    rnd.refresh_from_db()
    assert rnd.state == AppraisalRound.State.CLOSED
    results = client.get(reverse("appraisal:results", args=[rnd.pk])).content.decode()
    assert "张支部党员" in results and "优秀" in results


def test_create_round_page(mine):
    client = mine.client("secretary_a")
    page = client.get(reverse("appraisal:create")).content.decode()
    assert "综采一队党支部" in page and "掘进二队党支部" not in page
    response = client.post(reverse("appraisal:create"), {"branch": mine.branch_b.pk, "year": 2025})
    assert response.status_code == 400 and not AppraisalRound.objects.exists()
    response = client.post(reverse("appraisal:create"), {"branch": mine.branch_a.pk, "year": 2025})
    rnd = AppraisalRound.objects.get()
    assert response["Location"] == reverse("appraisal:detail", args=[rnd.pk])
    again = client.post(reverse("appraisal:create"), {"branch": mine.branch_a.pk, "year": 2025})
    assert again.status_code == 400 and "已经发起" in again.content.decode()


def test_ballot_page_for_a_masses_evaluator(mine):
    rnd = round_in(mine, "self")
    services.evaluators_set(
        actor=mine.users["secretary_a"], round_id=rnd.pk, peer_ids=[], masses_ids=[mine.masses_a.pk]
    )
    services.round_advance(actor=mine.users["secretary_a"], round_id=rnd.pk)
    evaluator = rnd.evaluators.get()
    client = mine.client("employee_a")
    page = client.get(reverse("appraisal:ballot", args=[evaluator.pk]))
    assert page.status_code == 200 and "张支部党员" in page.content.decode()
    entry = AppraisalEntry.objects.get(round=rnd)
    response = client.post(
        reverse("appraisal:ballot", args=[evaluator.pk]), {f"vote-{entry.pk}": "qualified"}
    )
    assert response.status_code == 302
    assert entry.votes.get().grade == "qualified"
    # another branch's secretary cannot open this ballot
    other = mine.client("member_b")
    assert other.get(reverse("appraisal:ballot", args=[evaluator.pk])).status_code == 404


def test_api_grades_and_the_cap(mine):
    add_members(mine, 2)
    rnd = round_in(mine, "evaluation")
    client = mine.client("secretary_a")
    entries = list(AppraisalEntry.objects.filter(round=rnd))
    body = {"grades": [{"entry": e.pk, "grade": "excellent"} for e in entries[:2]]}
    response = client.put(
        f"/api/v1/appraisal/rounds/{rnd.pk}/grades", body, content_type="application/json"
    )
    assert response.status_code == 422
    assert "最多 1 名" in response.json()["detail"][0]["message"]
    body = {"grades": [{"entry": entries[0].pk, "grade": "excellent"}]}
    ok = client.put(
        f"/api/v1/appraisal/rounds/{rnd.pk}/grades", body, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["excellent_cap"] == 1
    secretary_of_b(mine)
    other = mine.client("secretary_b")
    denied = other.put(
        f"/api/v1/appraisal/rounds/{rnd.pk}/grades", body, content_type="application/json"
    )
    assert denied.status_code == 404, denied.content.decode()


def test_api_create_round(mine):
    client = mine.client("secretary_a")
    created = client.post(
        "/api/v1/appraisal/rounds",
        {"branch": mine.branch_a.pk, "year": 2025},
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["appraised"] == 1
    refused = client.post(
        "/api/v1/appraisal/rounds",
        {"branch": mine.branch_b.pk, "year": 2025},
        content_type="application/json",
    )
    assert refused.status_code == 422


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_flat(mine):
    rnd = round_in(mine, "evaluation")
    client = mine.client("secretary_a")
    small = (
        _count(client, reverse("appraisal:list")),
        _count(client, reverse("appraisal:detail", args=[rnd.pk])),
    )
    add_members(mine, 20)
    AppraisalEntry.objects.bulk_create(
        AppraisalEntry(round=rnd, person=p)
        for p in __import__("dangjian.people.models", fromlist=["Person"]).Person.objects.filter(
            employee_no__startswith="T001"
        )
    )
    for year in range(2010, 2016):
        services.round_create(
            actor=mine.users["secretary_a"], branch_id=mine.branch_a.pk, year=year
        )
    large = (
        _count(client, reverse("appraisal:list")),
        _count(client, reverse("appraisal:detail", args=[rnd.pk])),
    )
    assert rnd.entries.count() > 15
    assert small == large


def test_api_state_advance(mine):
    rnd = round_in(mine, "draft")
    client = mine.client("secretary_a")
    assert client.get(f"/api/v1/appraisal/rounds/{rnd.pk}/state").json()["state"] == "draft"
    moved = client.post(f"/api/v1/appraisal/rounds/{rnd.pk}/state")
    assert moved.status_code == 200 and moved.json()["state"] == "self"
    assert (
        mine.client("worker_a").get(f"/api/v1/appraisal/rounds/{rnd.pk}/grades").status_code == 200
    )
    assert (
        mine.client("member_b").post(f"/api/v1/appraisal/rounds/{rnd.pk}/state").status_code == 403
    )
