"""Home page per role: figures come from the user's scope only."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

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


def _add_persons(mine, count: int, *, start: int, branches: int = 0) -> None:
    """``count`` more persons in bulk (figures only need the rows), spread over branch A and
    ``branches`` new branches of the committee, with their own teams."""
    from dangjian.core.scope import SYSTEM
    from dangjian.orgs.services import org_create, unit_create
    from dangjian.people.models import Person

    places = [(mine.branch_a, mine.team_a1)]
    for index in range(branches):
        branch = org_create(
            name=f"新建{start + index}党支部", kind="branch", parent=mine.committee, actor=SYSTEM
        )
        team = unit_create(
            name=f"新建{start + index}班", kind="team", parent=mine.workshop_a, actor=SYSTEM
        )
        places.append((branch, team))
    statuses = ["full", "probationary", "masses", "activist"]
    Person.objects.bulk_create(
        Person(
            employee_no=f"B{start + seq:06d}",
            name=f"批量{start + seq}",
            gender="M",
            birth_date=dt.date(1980, 1, 1),
            unit=places[seq % len(places)][1],
            party_org=places[seq % len(places)][0],
            political_status=statuses[seq % len(statuses)],
            is_front_line=seq % 2 == 0,
        )
        for seq in range(count)
    )


def _home_queries(client) -> tuple[int, int]:
    """Queries of a warm home request (snapshot hit) and of one that recomputes (miss)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dangjian.dashboard.models import HomeSnapshot

    client.get("/")  # computes and stores the snapshot of the new data version
    with CaptureQueriesContext(connection) as warm:
        response = client.get("/")
    assert response.context["home"].cached
    HomeSnapshot.objects.all().delete()
    with CaptureQueriesContext(connection) as cold:
        response = client.get("/")
    assert not response.context["home"].cached
    return len(warm), len(cold)


def test_home_query_count_is_flat(mine):
    """Warm requests (snapshot hit) and recomputes each cost the same number of queries at 10
    and at 1,000 persons (22 branches instead of 2): no query per person or organisation."""
    from dangjian.people.models import Person

    with time_machine.travel(timezone.now(), tick=False):  # no once-a-minute session touch
        client = mine.client("shuji")
        _add_persons(mine, 7, start=0)
        assert Person.objects.count() == 10
        warm_small, cold_small = _home_queries(client)
        _add_persons(mine, 990, start=100, branches=20)
        assert Person.objects.count() == 1000
        warm_large, cold_large = _home_queries(client)
        assert figures(client.get("/"))["职工总数"] == 1000
    assert warm_large == warm_small
    assert cold_large == cold_small
    assert warm_small < cold_small  # the warm request really reads the snapshot


def test_reminders_section_counts_orders_and_scopes(mine, monkeypatch):
    """The to-do centre's open reminders of the user's scope: red first, at most 8 listed with
    the full counts, the same number of queries for 1 and for 12 reminders."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dangjian.core import registries
    from dangjian.core.registries import DueItem
    from dangjian.reminders.services import reminders_refresh

    today = dt.date(2026, 6, 15)

    def refresh(items):
        monkeypatch.setattr(registries, "_reminder_rules", {"t": lambda day: items})
        reminders_refresh(today)

    branch_a, branch_b = mine.branch_a.pk, mine.branch_b.pk
    refresh([DueItem("t:0", "测试", "甲支部事项0", today, "yellow", branch_a)])
    client = mine.client("secretary_a")
    client.get("/")
    with CaptureQueriesContext(connection) as one:
        summary = client.get("/").context["home"].reminders
    assert (summary["count"], summary["red"], len(summary["items"])) == (1, 0, 1)
    due = today + dt.timedelta(days=3)
    refresh(
        [DueItem(f"t:{i}", "测试", f"甲支部事项{i}", today, "yellow", branch_a) for i in range(10)]
        + [DueItem("t:red", "测试", "甲支部红色事项", due, "red", branch_a)]
        + [DueItem("t:b", "测试", "乙支部事项", today, "red", branch_b)]
    )
    client.get("/")
    with CaptureQueriesContext(connection) as many:
        response = client.get("/")
    summary = response.context["home"].reminders
    assert (summary["count"], summary["red"], len(summary["items"])) == (11, 1, 8)
    assert summary["items"][0].title == "甲支部红色事项"  # red first, although due later
    body = response.content.decode()
    assert "甲支部红色事项" in body and "乙支部事项" not in body
    assert len(many) == len(one)
