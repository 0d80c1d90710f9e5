"""API permission matrix: every endpoint x every persona x an object in and out of scope.

Run once with the browser session and once with a bearer token, so both ways in enforce the
same scope: no permission → 403, out of scope → 404 (never a hint), anonymous → 401.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client

from dangjian.accounts.tokens import token_issue
from dangjian.core.scope import SYSTEM
from dangjian.core.testing import ROLES, make_citizen_id
from dangjian.people.models import Person

ALL = {"member_a", "masses_a", "member_b"}
PERSON_VIEW = {
    "shuji": ALL,
    "zuzhi": ALL,
    "union": ALL,
    "secretary_a": {"member_a", "masses_a"},
    "worker_a": {"member_a", "masses_a"},
    "member_b": {"member_b"},
    "employee_a": {"masses_a"},
}
PERSON_CHANGE = {
    "shuji": ALL,
    "zuzhi": ALL,
    "secretary_a": {"member_a", "masses_a"},
    "worker_a": {"member_a", "masses_a"},
}
# Which units each persona may create a person in (by the unit's branch).
PERSON_ADD = {
    "shuji": {"team_a1", "team_b1"},
    "zuzhi": {"team_a1", "team_b1"},
    "secretary_a": {"team_a1"},
    "worker_a": {"team_a1"},
}
ORG_VIEW = {
    "shuji": {"committee", "branch_a", "branch_b", "group_a1", "group_b1"},
    "zuzhi": {"committee", "branch_a", "branch_b", "group_a1", "group_b1"},
    "union": {"committee", "branch_a", "branch_b", "group_a1", "group_b1"},
    "sysadmin": {"committee", "branch_a", "branch_b", "group_a1", "group_b1"},
    "secretary_a": {"branch_a", "group_a1"},
    "worker_a": {"branch_a", "group_a1"},
}
UNIT_VIEW = {
    "shuji": {"mine", "workshop_a", "workshop_b", "team_a1", "team_b1"},
    "sysadmin": {"mine", "workshop_a", "workshop_b", "team_a1", "team_b1"},
    "zuzhi": {"workshop_a", "workshop_b", "team_a1", "team_b1"},
    "union": {"workshop_a", "workshop_b", "team_a1", "team_b1"},
    "secretary_a": {"workshop_a", "team_a1"},
    "worker_a": {"workshop_a", "team_a1"},
}
ORGS = ("committee", "branch_a", "branch_b", "group_a1", "group_b1")
UNITS = ("mine", "workshop_a", "workshop_b", "team_a1", "team_b1")
PERSONS = ("member_a", "masses_a", "member_b")


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    caches["default"].clear()


def _client(mine: Any, persona: str, mode: str) -> tuple[Client, dict[str, str]]:
    if persona == "anonymous":
        return Client(), {}
    if mode == "session":
        return mine.client(persona), {}
    _, raw = token_issue(actor=SYSTEM, user=mine.users[persona], name="matrix")
    return Client(), {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _expect(allowed: dict[str, set[str]], persona: str, name: str) -> int:
    if persona == "anonymous":
        return 401
    if persona not in allowed:
        return 403
    return 200 if name in allowed[persona] else 404


@pytest.mark.parametrize("mode", ["session", "token"])
@pytest.mark.parametrize("persona", [*ROLES, "anonymous"])
def test_api_permission_matrix(mine, persona, mode):
    client, headers = _client(mine, persona, mode)
    wrong: list[str] = []

    def check(method: str, url: str, expected: int, body: Any = None, **extra: Any) -> Any:
        kwargs: dict[str, Any] = {**headers, **extra}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        response = getattr(client, method)(url, **kwargs)
        if response.status_code != expected:
            wrong.append(f"{method.upper()} {url}: {response.status_code} != {expected}")
        assert response["Content-Type"].startswith("application/json"), url
        return response

    # /me
    response = check("get", "/api/v1/me", 401 if persona == "anonymous" else 200)
    if persona != "anonymous":
        assert response.json()["username"] == persona

    # lists: status, and exactly the rows in scope
    for url, allowed in (
        ("/api/v1/persons/", PERSON_VIEW),
        ("/api/v1/orgs/", ORG_VIEW),
        ("/api/v1/units/", UNIT_VIEW),
    ):
        expected = 401 if persona == "anonymous" else (200 if persona in allowed else 403)
        response = check("get", url, expected)
        if expected == 200:
            ids = {item["id"] for item in response.json()["items"]}
            assert ids == {getattr(mine, n).pk for n in allowed[persona]}, url
            assert response.json()["count"] == len(allowed[persona])

    # details in and out of scope
    for name in PERSONS:
        check(
            "get", f"/api/v1/persons/{getattr(mine, name).pk}", _expect(PERSON_VIEW, persona, name)
        )
    for name in ORGS:
        check("get", f"/api/v1/orgs/{getattr(mine, name).pk}", _expect(ORG_VIEW, persona, name))
    for name in UNITS:
        check("get", f"/api/v1/units/{getattr(mine, name).pk}", _expect(UNIT_VIEW, persona, name))
    # an id that does not exist looks exactly like one out of scope
    missing = 404 if persona in PERSON_VIEW else (401 if persona == "anonymous" else 403)
    check("get", "/api/v1/persons/999999", missing)

    # filtering by another branch never reveals its rows
    if persona in PERSON_VIEW:
        response = check("get", f"/api/v1/persons/?party_org={mine.branch_b.pk}", 200)
        visible_b = {mine.member_b.pk} & {getattr(mine, n).pk for n in PERSON_VIEW[persona]}
        assert {i["id"] for i in response.json()["items"]} == visible_b
        response = check("get", f"/api/v1/persons/?q={mine.member_b.employee_no}", 200)
        assert response.json()["count"] == len(visible_b)

    # PATCH in and out of scope
    for name in PERSONS:
        person = Person.objects.get(pk=getattr(mine, name).pk)
        if persona == "anonymous":
            expected = 401
        elif persona not in PERSON_CHANGE:
            expected = 403
        elif name in PERSON_CHANGE[persona]:
            expected = 200
        else:
            expected = 404
        check(
            "patch",
            f"/api/v1/persons/{person.pk}",
            expected,
            {"post": f"{persona}改", "version": person.version},
        )
        after = Person.objects.get(pk=person.pk)
        assert (after.post == f"{persona}改") == (expected == 200), name

    # POST in each branch's unit
    for seq, unit_name in enumerate(("team_a1", "team_b1"), start=100):
        unit = getattr(mine, unit_name)
        if persona == "anonymous":
            expected = 401
        elif persona not in PERSON_ADD:
            expected = 403
        else:
            expected = 201 if unit_name in PERSON_ADD[persona] else 422
        birth = dt.date(1990, 1, 1)
        body = {
            "employee_no": f"M{seq}{mode[0]}",
            "name": "矩阵测试",
            "gender": "M",
            "birth_date": birth.isoformat(),
            "citizen_id": make_citizen_id(birth, "M", seq),
            "unit": unit.pk,
        }
        check("post", "/api/v1/persons/", expected, body)
        assert Person.objects.filter(employee_no=body["employee_no"]).exists() == (expected == 201)

    assert not wrong, "\n".join(wrong)
