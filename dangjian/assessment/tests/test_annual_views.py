"""Pages of the annual evaluation and star members: permission matrix (personas × in / out of
scope, before and after publication), the forms, and constant queries of the annual page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.assessment.models import AnnualEvaluation, StarMemberRating
from dangjian.assessment.services.annual import annual_compute, annual_publish
from dangjian.assessment.testing import build_scheme
from dangjian.assessment.tests.engine_helpers import more_branches
from dangjian.assessment.tests.test_annual import quarter
from dangjian.core.scope import SYSTEM

READERS = ("shuji", "zuzhi", "secretary_a", "worker_a", "member_b")
NO_ACCESS = ("union", "employee_a", "sysadmin", "auditor")


@pytest.fixture
def evaluation(mine):
    scheme = build_scheme(mine.committee)
    quarter(scheme, mine, 1, {mine.branch_a: 92, mine.branch_b: 75})
    return annual_compute(actor=SYSTEM, party_org_id=mine.committee.pk, year=2026)


def rating(evaluation, person) -> StarMemberRating:
    return StarMemberRating.objects.get(evaluation=evaluation, person=person)


@pytest.mark.parametrize("role", READERS + NO_ACCESS)
def test_list_page(mine, evaluation, role):
    response = mine.client(role).get(reverse("assessment:annual_list"))
    if role in NO_ACCESS:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    body = response.content.decode()
    # the compute form only for the committee's managers
    assert ('data-testid="annual-compute"' in body) == (role in ("shuji", "zuzhi"))
    # a member sees the evaluation only once published
    assert ("2026年度总评" in body) == (role != "member_b")


@pytest.mark.parametrize(
    ("role", "status", "branches"),
    [
        ("shuji", 200, {"综采一队党支部", "掘进二队党支部"}),
        ("zuzhi", 200, {"综采一队党支部", "掘进二队党支部"}),
        ("secretary_a", 200, {"综采一队党支部"}),
        ("worker_a", 200, {"综采一队党支部"}),
        ("member_b", 404, set()),
        ("union", 403, set()),
        ("employee_a", 403, set()),
        ("sysadmin", 403, set()),
    ],
)
def test_detail_before_publication(mine, evaluation, role, status, branches):
    response = mine.client(role).get(reverse("assessment:annual_detail", args=[evaluation.pk]))
    assert response.status_code == status
    if status == 200:
        shown = {row["result"].branch_name for row in response.context["rows"]}
        assert shown == branches
        assert response.context["can_publish"] == (role in ("shuji", "zuzhi"))


def test_detail_after_publication_for_everyone_under_the_committee(mine, evaluation):
    annual_publish(actor=SYSTEM, evaluation_id=evaluation.pk)
    url = reverse("assessment:annual_detail", args=[evaluation.pk])
    for role in ("member_b", "secretary_a"):
        response = mine.client(role).get(url)
        assert response.status_code == 200
        assert len(response.context["rows"]) == 2
        assert "★★★★★" in response.content.decode()
    assert mine.client("union").get(url).status_code == 403
    assert (
        mine.client("shuji").get(reverse("assessment:annual_detail", args=[999999])).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("role", "status"),
    [("shuji", 302), ("zuzhi", 302), ("secretary_a", 403), ("member_b", 403), ("union", 403)],
)
def test_compute_and_publish_permissions(mine, evaluation, role, status):
    client = mine.client(role)
    response = client.post(
        reverse("assessment:annual_compute"), {"party_org": mine.committee.pk, "year": 2026}
    )
    assert response.status_code == status
    response = client.post(reverse("assessment:annual_publish", args=[evaluation.pk]))
    evaluation.refresh_from_db()
    if status == 302:
        assert response.status_code == 302 and evaluation.is_public
    else:
        assert response.status_code in (403, 404) and not evaluation.is_public


def test_compute_refuses_an_org_out_of_reach_and_a_year_without_rounds(mine, evaluation):
    client = mine.client("shuji")
    response = client.post(
        reverse("assessment:annual_compute"), {"party_org": mine.branch_a.pk, "year": 2026}
    )
    assert response.status_code == 302 and response.url == reverse("assessment:annual_list")
    response = client.post(
        reverse("assessment:annual_compute"), {"party_org": mine.committee.pk, "year": 2020}
    )
    assert response.status_code == 302
    assert not AnnualEvaluation.objects.filter(year=2020).exists()


@pytest.mark.parametrize(
    ("role", "status", "people"),
    [
        ("shuji", 200, 2),
        ("secretary_a", 200, 1),
        ("member_b", 404, 0),  # the draft evaluation is not theirs: they use their own page
        ("union", 403, 0),
        ("employee_a", 403, 0),
    ],
)
def test_star_members_page_matrix(mine, evaluation, role, status, people):
    response = mine.client(role).get(reverse("assessment:star_members", args=[evaluation.pk]))
    assert response.status_code == status
    if status == 200:
        assert len(response.context["rows"]) == people
        editable = {row["rating"].person_id for row in response.context["rows"] if row["editable"]}
        expected = {
            "shuji": {mine.member_a.pk, mine.member_b.pk},
            "secretary_a": {mine.member_a.pk},
        }[role]
        assert editable == expected


def test_branch_enters_branch_scores(mine, evaluation):
    a, b = rating(evaluation, mine.member_a), rating(evaluation, mine.member_b)
    url = reverse("assessment:star_members", args=[evaluation.pk])
    client = mine.client("secretary_a")
    response = client.post(
        url,
        {
            f"branch-{a.pk}": "91.5",
            f"version-{a.pk}": a.version,
            f"branch-{b.pk}": "10",  # out of scope: not even seen
            f"version-{b.pk}": b.version,
        },
    )
    assert response.status_code == 302
    assert rating(evaluation, mine.member_a).branch_score == Decimal("91.50")
    assert rating(evaluation, mine.member_b).branch_score is None
    # a stale version: refused with 409 and a clear message, nothing lost
    response = client.post(url, {f"branch-{a.pk}": "60", f"version-{a.pk}": a.version})
    assert response.status_code == 409
    assert "已被他人修改" in response.content.decode()
    assert rating(evaluation, mine.member_a).branch_score == Decimal("91.50")
    # another branch's filter is out of scope
    assert client.get(url, {"branch": mine.branch_b.pk}).status_code == 404


def test_member_self_rating_page(mine, evaluation):
    url = reverse("assessment:star_member_self")
    client = mine.client("member_b")
    b = rating(evaluation, mine.member_b)
    assert client.get(url).status_code == 200
    response = client.post(url, {"rating": b.pk, "version": b.version, "self_score": "96"})
    assert response.status_code == 302
    assert rating(evaluation, mine.member_b).self_score == Decimal("96.00")
    response = client.post(url, {"rating": b.pk, "version": b.version + 1, "self_score": "120"})
    assert response.status_code == 400
    a = rating(evaluation, mine.member_a)
    assert (
        client.post(url, {"rating": a.pk, "version": a.version, "self_score": "99"}).status_code
        == 404
    )
    assert mine.client("employee_a").get(url).status_code == 403
    page = mine.client("secretary_a").get(url)
    assert page.status_code == 200 and page.context["rows"] == []
    annual_publish(actor=SYSTEM, evaluation_id=evaluation.pk)
    b = rating(evaluation, mine.member_b)
    response = client.post(url, {"rating": b.pk, "version": b.version, "self_score": "50"})
    assert response.status_code == 400
    assert rating(evaluation, mine.member_b).self_score == Decimal("96.00")


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_annual_page_queries_do_not_grow_with_branches(mine):
    s25 = build_scheme(mine.committee, year=2025)
    s26 = build_scheme(mine.committee, year=2026)
    quarter(s25, mine, 1, {mine.branch_a: 90, mine.branch_b: 70})
    annual_compute(actor=SYSTEM, party_org_id=mine.committee.pk, year=2025)
    quarter(s26, mine, 1, {mine.branch_a: 80, mine.branch_b: 85})
    small = annual_compute(actor=SYSTEM, party_org_id=mine.committee.pk, year=2026)
    client = mine.client("shuji")
    n_small = _queries(client, reverse("assessment:annual_detail", args=[small.pk]))
    s27 = build_scheme(mine.committee, year=2027)
    branches = [mine.branch_a, mine.branch_b, *more_branches(mine, 28)]
    quarter(s27, mine, 1, {b: 60 + i for i, b in enumerate(branches)})
    large = annual_compute(actor=SYSTEM, party_org_id=mine.committee.pk, year=2027)
    url = reverse("assessment:annual_detail", args=[large.pk])
    assert _queries(client, url) == n_small
    response = client.get(url)
    assert len(response.context["rows"]) == 30
    assert any(row["history"] for row in response.context["rows"])
