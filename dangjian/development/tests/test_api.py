"""API /api/v1/development/: scoped lists, 404 out of scope, completing a step with the rules."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from dangjian.core.scope import SYSTEM
from dangjian.core.testing import person_data
from dangjian.development import services
from dangjian.people.services import person_create

START = dt.date(2024, 1, 8)


@pytest.fixture
def cases(mine):
    a = services.case_open(actor=SYSTEM, person_id=mine.masses_a.pk, applied_on=START)
    other = person_create(
        actor=SYSTEM,
        data=person_data(
            None,
            seq=91,
            unit=mine.team_b1,
            party_org=mine.branch_b,
            political_status="masses",
            joined_party_on=None,
            regularised_on=None,
        ),
    )
    b = services.case_open(actor=SYSTEM, person_id=other.pk, applied_on=START)
    return a, b


def test_list_is_scoped(mine, cases):
    a, b = cases
    data = mine.client("secretary_a").get("/api/v1/development/cases").json()
    assert data["count"] == 1 and [c["id"] for c in data["items"]] == [a.pk]
    data = mine.client("shuji").get(f"/api/v1/development/cases?branch={mine.branch_b.id}").json()
    assert [c["id"] for c in data["items"]] == [b.pk]
    assert mine.client("sysadmin").get("/api/v1/development/cases").status_code == 403


def test_detail_and_steps(mine, cases):
    a, b = cases
    client = mine.client("secretary_a")
    detail = client.get(f"/api/v1/development/cases/{a.pk}").json()
    assert detail["steps"][0]["step"] == 1 and detail["due"][0]["step"] == 2
    assert detail["due"][0]["latest"] == "2024-02-08"
    assert client.get(f"/api/v1/development/cases/{b.pk}").status_code == 404
    assert client.get(f"/api/v1/development/cases/{b.pk}/steps").status_code == 404
    assert mine.client("employee_a").get(f"/api/v1/development/cases/{a.pk}").status_code == 200


def test_complete_step_with_rules(mine, cases):
    a, b = cases
    client = mine.client("secretary_a")
    url = f"/api/v1/development/cases/{a.pk}/steps"
    body = {"step": 3, "completed_on": "2024-01-20"}
    response = client.post(url, json.dumps(body), content_type="application/json")
    assert response.status_code == 422
    assert "须先完成步骤2" in response.json()["detail"][0]["message"]
    late = {"step": 2, "completed_on": "2024-02-09"}
    response = client.post(url, json.dumps(late), content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "late_reason"
    ok = {"step": 2, "completed_on": "2024-02-08", "note": "谈话"}
    response = client.post(url, json.dumps(ok), content_type="application/json")
    assert response.status_code == 201 and response.json()["on_time"] is True
    other = f"/api/v1/development/cases/{b.pk}/steps"
    assert client.post(other, json.dumps(ok), content_type="application/json").status_code == 404
    member = mine.client("employee_a")
    assert member.post(url, json.dumps(ok), content_type="application/json").status_code == 403


def test_rules_endpoint(mine):
    data = mine.client("secretary_a").get("/api/v1/development/rules/steps").json()
    assert len(data) == 25 and data[6]["interval_from"] == 3
    assert mine.client("member_b").get("/api/v1/development/rules/steps").status_code == 403
