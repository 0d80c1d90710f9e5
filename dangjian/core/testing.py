"""Test support shared by every app: a small two-branch mine and one persona per role.

Personas (STYLE.md §6): committee secretary, org-department staff, a department (union) staff
member, branch secretary and party-affairs worker of branch A, a member of branch B, an
employee with no Party role, and the three administrators.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.test import Client
from django.utils import timezone

from dangjian.core.identity import citizen_id_check_char
from dangjian.core.scope import SYSTEM

PASSWORD = "Dangjian-Test-2026!"  # noqa: S105 (test personas only)


def clear_of_midnight(minutes: int = 30, now: dt.datetime | None = None) -> dt.datetime:
    """Now, or one minute past the coming local midnight when that is nearer than ``minutes``.

    For tests that move the clock forward a few minutes: daily snapshots (home page, structure
    analytics) are recomputed when the local date changes, so a test started at 23:55 Beijing
    time would cross that boundary and see a recomputation it did not ask for.
    """
    now = now or timezone.now()
    local = timezone.localtime(now)
    midnight = (local + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    if midnight - local < dt.timedelta(minutes=minutes):
        return midnight + dt.timedelta(minutes=1)
    return now


@contextmanager
def hold_date(day: dt.date) -> Iterator[None]:
    """Keep the local date at ``day`` (collected as a module constant like ``TODAY``) while a
    test runs: nothing when it is still that day, else the clock stands at noon of that day.
    A test module collected at 23:59 and run at 00:01 would otherwise compare yesterday's
    constant with today's date."""
    import time_machine  # a test extra; this module ships in the package

    if timezone.localdate() == day:
        yield
        return
    noon = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
    with time_machine.travel(noon, tick=True):
        yield


@lru_cache(maxsize=1)
def password_hash() -> str:
    """PASSWORD hashed once per test run (Argon2 is slow on purpose)."""
    from django.contrib.auth.hashers import make_password

    return make_password(PASSWORD)


def make_citizen_id(birth: dt.date, gender: str = "M", seq: int = 1, area: str = "340321") -> str:
    """A valid GB 11643 ID: area + birth date + 3-digit sequence (odd = male) + check char."""
    order = (seq * 2 + (1 if gender == "M" else 0)) % 1000
    if (order % 2 == 1) != (gender == "M"):
        order = (order + 1) % 1000
    first17 = f"{area}{birth:%Y%m%d}{order:03d}"
    return first17 + citizen_id_check_char(first17)


@dataclass
class MiniMine:
    committee: Any
    branch_a: Any
    branch_b: Any
    group_a1: Any
    group_b1: Any
    mine: Any
    workshop_a: Any
    workshop_b: Any
    team_a1: Any
    team_b1: Any
    org_department: Any
    union_department: Any
    member_a: Any
    masses_a: Any
    member_b: Any
    users: dict[str, Any] = field(default_factory=dict)

    def client(self, role: str) -> Client:
        """A logged-in client whose session has passed the second factor (AUTH-07)."""
        from dangjian.accounts.mfa import SESSION_FLAG

        client = Client()
        client.force_login(self.users[role])
        session = client.session
        session[SESSION_FLAG] = True
        session.save()
        return client


ROLES = (
    "shuji",
    "zuzhi",
    "union",
    "secretary_a",
    "worker_a",
    "member_b",
    "employee_a",
    "sysadmin",
    "secadmin",
    "auditor",
)


def person_data(mine: MiniMine | None = None, **overrides: Any) -> dict[str, Any]:
    """A complete, valid set of person fields (a male full member of branch A by default)."""
    birth = overrides.pop("birth_date", dt.date(1985, 3, 12))
    gender = overrides.pop("gender", "M")
    seq = overrides.pop("seq", 7)
    data: dict[str, Any] = {
        "employee_no": f"T{seq:05d}",
        "name": f"测试{seq}",
        "gender": gender,
        "ethnicity": "汉族",
        "birth_date": birth,
        "education": "bachelor",
        "citizen_id": make_citizen_id(birth, gender, seq),
        "phone": f"138{seq:08d}",
        "address": "安徽省淮北市濉溪县",
        "post": "采煤工",
        "is_front_line": True,
        "political_status": "full",
        "joined_party_on": dt.date(2010, 7, 1),
        "regularised_on": dt.date(2011, 7, 1),
    }
    if mine is not None:
        data.update(unit=mine.team_a1, party_org=mine.branch_a, party_group=mine.group_a1)
    data.update(overrides)
    return data


def build_mini_mine() -> MiniMine:
    """Committee → branches A and B → one group each; mine → two workshops → one team each."""
    from dangjian.accounts.models import AdminRole, Role, RoleAssignment, User
    from dangjian.orgs.models import Department, PartyOrg
    from dangjian.orgs.services import org_create, unit_create
    from dangjian.people.services import person_create

    committee = org_create(
        name="测试矿党委", kind=PartyOrg.Kind.COMMITTEE, parent=None, actor=SYSTEM
    )
    branch_a = org_create(name="综采一队党支部", kind="branch", parent=committee, actor=SYSTEM)
    branch_b = org_create(name="掘进二队党支部", kind="branch", parent=committee, actor=SYSTEM)
    group_a1 = org_create(name="综采一队第一党小组", kind="group", parent=branch_a, actor=SYSTEM)
    group_b1 = org_create(name="掘进二队第一党小组", kind="group", parent=branch_b, actor=SYSTEM)
    mine = unit_create(name="测试煤矿", kind="mine", parent=None, actor=SYSTEM)
    workshop_a = unit_create(
        name="综采一队",
        kind="workshop",
        parent=mine,
        actor=SYSTEM,
        is_production=True,
        party_org=branch_a,
    )
    workshop_b = unit_create(
        name="掘进二队",
        kind="workshop",
        parent=mine,
        actor=SYSTEM,
        is_production=True,
        party_org=branch_b,
    )
    team_a1 = unit_create(
        name="综采一队一班",
        kind="team",
        parent=workshop_a,
        actor=SYSTEM,
        is_production=True,
        party_org=branch_a,
    )
    team_b1 = unit_create(
        name="掘进二队一班",
        kind="team",
        parent=workshop_b,
        actor=SYSTEM,
        is_production=True,
        party_org=branch_b,
    )
    group_a1.covered_units.add(team_a1)
    group_b1.covered_units.add(team_b1)
    org_department = Department.objects.create(
        name="组织部", domain="organisation", party_org=committee
    )
    union_department = Department.objects.create(name="工会", domain="union", party_org=committee)
    member_a = person_create(
        actor=SYSTEM,
        data=person_data(
            None, seq=1, name="张支部党员", unit=team_a1, party_org=branch_a, party_group=group_a1
        ),
    )
    masses_a = person_create(
        actor=SYSTEM,
        data=person_data(
            None,
            seq=2,
            name="李群众",
            unit=team_a1,
            political_status="masses",
            joined_party_on=None,
            regularised_on=None,
        ),
    )
    member_b = person_create(
        actor=SYSTEM,
        data=person_data(
            None,
            seq=3,
            name="王二支部党员",
            gender="F",
            unit=team_b1,
            party_org=branch_b,
            party_group=group_b1,
        ),
    )
    result = MiniMine(
        committee,
        branch_a,
        branch_b,
        group_a1,
        group_b1,
        mine,
        workshop_a,
        workshop_b,
        team_a1,
        team_b1,
        org_department,
        union_department,
        member_a,
        masses_a,
        member_b,
    )
    from dangjian.accounts.roles import seed_roles

    seed_roles(Role)  # transactional (browser) tests flush the migration-seeded rows
    roles = {r.code: r for r in Role.objects.all()}

    def user(username: str, **kwargs: Any) -> Any:
        u = User.objects.create(username=username, password=password_hash(), **kwargs)
        result.users[username] = u
        return u

    RoleAssignment.objects.create(
        user=user("shuji"), role=roles["committee_leader"], party_org=committee
    )
    RoleAssignment.objects.create(
        user=user("zuzhi"),
        role=roles["org_dept_staff"],
        party_org=committee,
        department=org_department,
    )
    RoleAssignment.objects.create(
        user=user("union"),
        role=roles["dept_staff"],
        party_org=committee,
        department=union_department,
    )
    RoleAssignment.objects.create(
        user=user("secretary_a"), role=roles["branch_secretary"], party_org=branch_a
    )
    RoleAssignment.objects.create(
        user=user("worker_a"), role=roles["party_affairs_worker"], party_org=branch_a
    )
    u = user("member_b")
    RoleAssignment.objects.create(user=u, role=roles["member"], party_org=branch_b)
    member_b.user = u
    member_b.save(update_fields=["user"])
    u = user("employee_a")
    RoleAssignment.objects.create(user=u, role=roles["employee"], party_org=branch_a)
    masses_a.user = u
    masses_a.save(update_fields=["user"])
    user("sysadmin", admin_role=AdminRole.SYSTEM)
    user("secadmin", admin_role=AdminRole.SECURITY)
    user("auditor", admin_role=AdminRole.AUDIT)
    return result
