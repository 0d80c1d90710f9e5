"""Structure analytics: figures from the user's scope, drill-down filters that list exactly the
persons behind each figure, and a query count independent of the data size."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from dangjian.core.scope import SYSTEM
from dangjian.orgs.services import unit_create
from dangjian.people.analytics import structure
from dangjian.people.models import Person
from dangjian.people.selectors import person_filters, person_list

TODAY = dt.date(2026, 6, 1)


def _bulk(mine, count: int, *, unit=None, org=None, status="masses", start=0, **extra):
    unit = unit or mine.team_b1
    org = org or mine.branch_b
    Person.objects.bulk_create(
        [
            Person(
                employee_no=f"BULK{start + i:06d}",
                name=f"批量{i}",
                gender="M" if i % 3 else "F",
                birth_date=dt.date(1965 + i % 40, 1 + i % 12, 1 + i % 28),
                education=("senior", "college", "bachelor")[i % 3],
                unit=unit,
                party_org=org,
                political_status=status if i % 4 else "full",
                is_front_line=bool(i % 2),
                joined_party_on=dt.date(1990 + i % 30, 7, 1) if not i % 4 else None,
                regularised_on=dt.date(1991 + i % 30, 7, 1) if not i % 4 else None,
                party_group=mine.group_b1 if not i % 4 else None,
                **extra,
            )
            for i in range(count)
        ]
    )


@time_machine.travel(dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC), tick=False)
def test_secretary_sees_only_branch_a_figures(mine):
    data = structure(user=mine.users["secretary_a"], today=TODAY)
    assert [f.label for f in data.front_line] == ["综采一队"]
    front = data.front_line[0]
    assert front.count == 2 and front.value == 50.0 and not front.flag  # 1 member / 2 front-line
    assert [f.label for f in data.groups] == ["综采一队第一党小组"] and data.groups[0].value == 1
    assert data.members_total == 1
    assert sum(f.value for f in data.gender) == 1
    shuji = structure(user=SYSTEM, today=TODAY)
    assert {f.label for f in shuji.front_line} == {"综采一队", "掘进二队"}
    assert shuji.members_total == 2


@time_machine.travel(dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC), tick=False)
def test_below_target_units_and_blank_teams(mine):
    _bulk(mine, 40, status="masses")  # branch B: 20 more front-line workers, few members
    team_a2 = unit_create(
        name="综采一队二班",
        kind="team",
        parent=mine.workshop_a,
        actor=SYSTEM,
        is_production=True,
        party_org=mine.branch_a,
    )
    _bulk(mine, 3, unit=team_a2, org=mine.branch_a, status="masses", start=500)
    Person.objects.filter(unit=team_a2).update(political_status="masses", party_group=None)
    data = structure(user=SYSTEM, today=TODAY)
    by_label = {f.label: f for f in data.front_line}
    branch_b = by_label["掘进二队"]
    expected_front = Person.objects.filter(
        unit__path__startswith=mine.workshop_b.path, is_front_line=True
    )
    members = expected_front.filter(political_status__in=["full", "probationary"]).count()
    assert branch_b.count == expected_front.count()
    assert branch_b.value == round(members / expected_front.count() * 100, 1)
    assert branch_b.flag == (members / expected_front.count() < 0.10)
    assert [f.label for f in data.blank_teams] == ["综采一队/综采一队二班"]
    assert data.teams_total == 3
    page = mine.client("shuji").get(reverse("people:analytics")).content.decode()
    assert "综采一队二班" in page and 'data-testid="blank-count">1<' in page


@time_machine.travel(dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC), tick=False)
@pytest.mark.parametrize("role", ["shuji", "secretary_a"])
def test_every_figure_drills_down_to_exactly_its_persons(mine, role):
    _bulk(mine, 60, status="masses")
    _bulk(mine, 30, unit=mine.team_a1, org=mine.branch_a, start=1000)
    user = mine.users[role]
    data = structure(user=user, today=TODAY)
    figures = [*data.groups, *data.ages, *data.party_ages, *data.education, *data.gender]
    assert sum(f.value for f in data.ages) == data.members_total
    for figure in figures:
        filters = person_filters({k: str(v) for k, v in figure.drill.items()})
        listed = person_list(user=user, today=TODAY, **filters).count()
        assert listed == figure.value, (figure.label, figure.drill)
    for figure in data.front_line:
        filters = person_filters({k: str(v) for k, v in figure.drill.items()})
        members = person_list(user=user, today=TODAY, **filters).count()
        assert round(members / figure.count * 100, 1) == figure.value


def test_page_renders_charts_with_drill_urls_and_tables(mine):
    response = mine.client("secretary_a").get(reverse("people:analytics"))
    assert response.status_code == 200
    body = response.content.decode()
    for chart in ("front-line", "groups", "ages", "party-ages", "education", "gender"):
        assert f'data-testid="chart-{chart}"' in body
        assert f'id="opt-{chart}"' in body
    option = json.loads(
        body.split('id="opt-front-line" type="application/json">')[1].split("</script>")[0]
    )
    bar = option["series"][0]
    assert bar["markLine"]["data"] == [{"yAxis": 10.0}]
    assert bar["data"][0]["url"].startswith(reverse("people:list") + "?unit=")
    assert "掘进二队" not in body  # branch B is outside the secretary's scope
    assert "people/analytics.js" in body


def test_self_scoped_and_admin_roles_get_403(mine):
    for role in ("member_b", "employee_a", "sysadmin", "secadmin", "auditor"):
        assert mine.client(role).get(reverse("people:analytics")).status_code == 403, role
    assert mine.client("worker_a").get(reverse("people:analytics")).status_code == 200


def test_figures_export_workbook(mine):
    response = mine.client("secretary_a").get(reverse("people:analytics_export"))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert "一线党员占比" in workbook.sheetnames
    rows = list(workbook["一线党员占比"].iter_rows(values_only=True))
    assert rows[1][:3] == ("综采一队", 2, 50)


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("people:analytics")).status_code == 200
    return len(ctx.captured_queries)


def test_query_count_independent_of_data_size(mine):
    client = mine.client("shuji")
    _bulk(mine, 7)
    small = _queries(client)
    data_small = structure(user=SYSTEM)
    _bulk(mine, 990, start=10_000)
    large = _queries(client)
    assert Person.objects.count() >= 1000
    assert small == large
    assert structure(user=SYSTEM).members_total > data_small.members_total
