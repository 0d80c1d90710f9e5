"""Organisation and unit API: filters and pagination over the scoped querysets."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import caches
from django.utils import timezone


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    caches["default"].clear()


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_org_filters(mine):
    client = mine.client("shuji")
    assert _ids(client.get("/api/v1/orgs/?kind=branch")) == [mine.branch_a.pk, mine.branch_b.pk]
    assert _ids(client.get(f"/api/v1/orgs/?parent={mine.branch_b.pk}")) == [mine.group_b1.pk]
    assert _ids(client.get("/api/v1/orgs/?q=掘进")) == [mine.branch_b.pk, mine.group_b1.pk]
    mine.group_b1.dissolved_on = timezone.localdate() - dt.timedelta(days=1)
    mine.group_b1.save(update_fields=["dissolved_on"])
    assert _ids(client.get("/api/v1/orgs/?active=false")) == [mine.group_b1.pk]
    assert mine.group_b1.pk not in _ids(client.get("/api/v1/orgs/?active=true"))
    detail = client.get(f"/api/v1/orgs/{mine.group_b1.pk}").json()
    assert detail["is_active"] is False and detail["kind_name"] == "党小组"
    assert detail["parent_id"] == mine.branch_b.pk


def test_org_filters_stay_inside_scope(mine):
    client = mine.client("secretary_a")
    assert _ids(client.get(f"/api/v1/orgs/?parent={mine.branch_b.pk}")) == []
    assert _ids(client.get("/api/v1/orgs/?q=掘进")) == []
    assert _ids(client.get(f"/api/v1/orgs/?parent={mine.branch_a.pk}")) == [mine.group_a1.pk]


def test_org_pagination(mine):
    client = mine.client("shuji")
    first = client.get("/api/v1/orgs/?limit=2").json()
    second = client.get("/api/v1/orgs/?limit=2&offset=2").json()
    assert first["count"] == second["count"] == 5
    assert len(first["items"]) == len(second["items"]) == 2
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    assert client.get("/api/v1/orgs/?limit=201").status_code == 422


def test_unit_filters(mine):
    client = mine.client("shuji")
    assert _ids(client.get("/api/v1/units/?kind=team")) == [mine.team_a1.pk, mine.team_b1.pk]
    assert _ids(client.get(f"/api/v1/units/?parent={mine.mine.pk}")) == [
        mine.workshop_a.pk,
        mine.workshop_b.pk,
    ]
    assert _ids(client.get("/api/v1/units/?q=综采")) == [mine.workshop_a.pk, mine.team_a1.pk]
    detail = client.get(f"/api/v1/units/{mine.team_a1.pk}").json()
    assert detail["party_org_id"] == mine.branch_a.pk and detail["is_production"] is True


def test_person_filters(mine):
    client = mine.client("shuji")
    member_a, masses_a, member_b = mine.member_a.pk, mine.masses_a.pk, mine.member_b.pk
    assert _ids(client.get(f"/api/v1/persons/?party_org={mine.branch_a.pk}")) == [
        member_a,
        masses_a,
    ]
    assert _ids(client.get(f"/api/v1/persons/?unit={mine.workshop_b.pk}")) == [member_b]
    assert _ids(client.get("/api/v1/persons/?political_status=masses")) == [masses_a]
    assert _ids(client.get("/api/v1/persons/?q=王二")) == [member_b]
    assert _ids(client.get("/api/v1/persons/?is_front_line=false")) == []
