"""Organisation rule checks (RULES.md "Organisations") at their boundaries, set-based."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.core.models import Rule
from dangjian.core.registries import org_member_counts, org_warnings
from dangjian.core.scope import SYSTEM
from dangjian.orgs.models import PartyOrg
from dangjian.orgs.services import org_create
from dangjian.people.models import Person

_seq = itertools.count(1)


def add_members(mine, org, n, status="full", group=None, membership="normal"):
    Person.objects.bulk_create(
        [
            Person(
                employee_no=f"W{next(_seq):06d}",
                name="测试党员",
                gender="M",
                birth_date=dt.date(1980, 1, 1),
                unit=mine.team_a1,
                political_status=status,
                membership_status=membership,
                party_org=org,
                party_group=group,
            )
            for _ in range(n)
        ]
    )


@pytest.fixture
def branch(mine):
    return org_create(name="测试三队党支部", kind="branch", parent=mine.committee, actor=SYSTEM)


def codes(org):
    return {w.code for w in org_warnings([org.pk])[org.pk]}


def test_too_few_full_members_boundary(mine, branch):
    add_members(mine, branch, 2)
    add_members(mine, branch, 3, status="probationary")  # probationary do not count
    assert "branch_too_small" in codes(branch)
    warning = org_warnings([branch.pk])[branch.pk][0]
    assert warning.level == "red" and "少于 3 名" in warning.message
    add_members(mine, branch, 1)
    assert "branch_too_small" not in codes(branch)


def test_too_many_members_boundary(mine, branch):
    PartyOrg.objects.filter(pk=branch.pk).update(has_committee=True)
    add_members(mine, branch, 3)
    add_members(mine, branch, 47, status="probationary")
    add_members(mine, branch, 5, status="candidate")  # not yet members
    add_members(mine, branch, 2, membership="deceased")  # no longer counted
    assert codes(branch) == set()
    assert org_member_counts([branch.pk])[branch.pk].members == 50
    add_members(mine, branch, 1, status="probationary")
    assert codes(branch) == {"branch_too_large"}
    assert org_warnings([branch.pk])[branch.pk][0].level == "yellow"


def test_committee_required_boundary_counts_group_members(mine, branch):
    group = org_create(name="测试三队党小组", kind="group", parent=branch, actor=SYSTEM)
    add_members(mine, branch, 3)
    add_members(mine, group, 2)  # attached to the group itself
    add_members(mine, branch, 1, group=group)
    assert org_member_counts([branch.pk])[branch.pk].full == 6
    assert "committee_required" not in codes(branch)
    add_members(mine, group, 1)
    assert "committee_required" in codes(branch)
    PartyOrg.objects.filter(pk=branch.pk).update(has_committee=True)
    assert "committee_required" not in codes(branch)


def test_rules_are_data(mine, branch):
    add_members(mine, branch, 3)
    assert "branch_too_small" not in codes(branch)
    Rule.objects.update_or_create(
        key="org.branch_min_full_members", defaults={"value": 4, "category": "org", "name": "x"}
    )
    assert "branch_too_small" in codes(branch)


@pytest.mark.parametrize(
    ("days_left", "expected"),
    [(61, None), (60, "yellow"), (0, "yellow"), (-1, "red")],
)
def test_term_reminder_boundary(mine, days_left, expected):
    today = dt.date(2026, 3, 1)
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        PartyOrg.objects.filter(pk=mine.committee.pk).update(
            term_ends_on=today + dt.timedelta(days=days_left)
        )
        found = org_warnings([mine.committee.pk])[mine.committee.pk]
    levels = [w.level for w in found if w.code.startswith("term_")]
    assert levels == ([expected] if expected else [])


def test_member_counts_roll_up_the_tree(mine):
    counts = org_member_counts([mine.committee.pk, mine.branch_a.pk, mine.group_a1.pk])
    assert counts[mine.committee.pk].members == 2  # member_a + member_b; masses do not count
    assert counts[mine.branch_a.pk].members == 1
    assert counts[mine.group_a1.pk].members == 0  # member_a's party_org is the branch


def test_query_count_independent_of_org_count(mine):
    few = [
        org_create(name=f"甲{i}党支部", kind="branch", parent=mine.committee, actor=SYSTEM)
        for i in range(2)
    ]
    many = few + [
        org_create(name=f"乙{i}党支部", kind="branch", parent=mine.committee, actor=SYSTEM)
        for i in range(20)
    ]
    for org in many:
        add_members(mine, org, 1)
    with CaptureQueriesContext(connection) as small:
        org_warnings([o.pk for o in few])
        org_member_counts([o.pk for o in few])
    with CaptureQueriesContext(connection) as large:
        result = org_warnings([o.pk for o in many])
        org_member_counts([o.pk for o in many])
    assert len(small.captured_queries) == len(large.captured_queries)
    assert all("branch_too_small" in {w.code for w in result[o.pk]} for o in many)
