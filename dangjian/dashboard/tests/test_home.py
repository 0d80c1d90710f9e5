"""Home page per role: figures come from the user's scope only."""

from __future__ import annotations

import pytest

from dangjian.core.testing import ROLES


@pytest.mark.parametrize("role", ROLES)
def test_every_role_gets_a_home_page(mine, role):
    response = mine.client(role).get("/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def figures(response):
    return {f.label: f.value for f in response.context["home"].figures}


def test_secretary_sees_only_own_branch_figures(mine):
    response = mine.client("secretary_a").get("/")
    numbers = figures(response)
    assert numbers["职工总数"] == 2  # member_a and masses_a, not member_b
    assert numbers["党员"] == 1
    assert numbers["党支部"] == 1


def test_committee_sees_everything(mine):
    numbers = figures(mine.client("shuji").get("/"))
    assert numbers["职工总数"] == 3
    assert numbers["党支部"] == 2


def test_member_sees_own_profile_masked(mine):
    response = mine.client("member_b").get("/")
    body = response.content.decode()
    assert response.context["home"].kind == "self"
    assert mine.member_b.name in body
    assert mine.member_b.citizen_id not in body
    assert mine.member_b.citizen_id[:4] + "*" * 10 + mine.member_b.citizen_id[-4:] in body
    assert mine.member_a.name not in body


def test_admins_see_no_person_data(mine):
    for role in ("sysadmin", "secadmin", "auditor"):
        response = mine.client(role).get("/")
        assert response.context["home"].kind == "admin"
        body = response.content.decode()
        assert mine.member_a.name not in body


def test_lost_contact_member_becomes_a_todo(mine):
    from dangjian.core.scope import SYSTEM
    from dangjian.people.services import person_update

    person_update(
        actor=SYSTEM,
        person=mine.member_a,
        data={"lost_contact": True, "lost_contact_on": mine.member_a.joined_party_on},
    )
    todos = mine.client("secretary_a").get("/").context["home"].todos
    assert any("失联" in t.text for t in todos)
    assert not any("失联" in t.text for t in mine.client("member_b").get("/").context["home"].todos)


def test_home_query_count_is_flat(mine):
    client = mine.client("shuji")
    client.get("/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get("/")
    from dangjian.core.scope import SYSTEM
    from dangjian.core.testing import person_data
    from dangjian.people.services import person_create

    for seq in range(20, 40):
        person_create(actor=SYSTEM, data=person_data(mine, seq=seq))
    with CaptureQueriesContext(connection) as large:
        client.get("/")
    assert len(large) == len(small)
