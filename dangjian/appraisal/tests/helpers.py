"""Test helpers: members of branch A in bulk, a round moved to the evaluation stage."""

from __future__ import annotations

from typing import Any

from dangjian.appraisal import services
from dangjian.appraisal.models import AppraisalRound
from dangjian.core.scope import SYSTEM
from dangjian.core.testing import MiniMine, person_data
from dangjian.people.services import person_create


def add_members(mine: MiniMine, count: int, *, start: int = 100, branch: Any = None) -> list[Any]:
    branch = branch or mine.branch_a
    group = mine.group_a1 if branch == mine.branch_a else mine.group_b1
    unit = mine.team_a1 if branch == mine.branch_a else mine.team_b1
    return [
        person_create(
            actor=SYSTEM,
            data=person_data(None, seq=start + i, unit=unit, party_org=branch, party_group=group),
        )
        for i in range(count)
    ]


def round_in(mine: MiniMine, state: str = "evaluation", *, year: int = 2025) -> AppraisalRound:
    rnd = services.round_create(
        actor=mine.users["secretary_a"], branch_id=mine.branch_a.pk, year=year
    )
    order = ["draft", "self", "evaluation", "closed"]
    for _ in range(order.index(state)):
        rnd = services.round_advance(actor=mine.users["secretary_a"], round_id=rnd.pk)
    return rnd


def secretary_of_b(mine: MiniMine) -> Any:
    """A branch secretary of branch B (the mini mine has none)."""
    from dangjian.accounts.models import Role, RoleAssignment, User
    from dangjian.core.testing import password_hash

    user = User.objects.create(username="secretary_b", password=password_hash())
    RoleAssignment.objects.create(
        user=user, role=Role.objects.get(code="branch_secretary"), party_org=mine.branch_b
    )
    mine.users["secretary_b"] = user
    return user
