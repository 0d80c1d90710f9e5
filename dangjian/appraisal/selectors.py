"""Reads of democratic appraisal; every queryset passes ``restrict(qs, user, action)``."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from dangjian.appraisal.models import (
    AppraisalEntry,
    AppraisalEvaluator,
    AppraisalRound,
    AppraisalVote,
    Grade,
)
from dangjian.core.scope import SYSTEM, org_paths_for, restrict, scope_q
from dangjian.orgs.models import PartyOrg


def round_list(
    *, user: Any, action: str = "view", year: int | None = None, q: str = "", state: str = ""
) -> QuerySet[AppraisalRound]:
    qs = restrict(AppraisalRound.objects.all(), user, action).select_related("branch")
    if year:
        qs = qs.filter(year=year)
    if q:
        qs = qs.filter(branch__name__icontains=q)
    if state:
        qs = qs.filter(state=state)
    return qs.annotate(
        appraised=Count("entries", distinct=True),
        graded=Count("entries", filter=~Q(entries__grade=""), distinct=True),
    )


def round_get(*, user: Any, pk: int, action: str = "view") -> AppraisalRound | None:
    return (
        restrict(AppraisalRound.objects.filter(pk=pk), user, action)
        .select_related("branch")
        .first()
    )


def round_for_branch(*, user: Any, branch: PartyOrg, year: int) -> AppraisalRound | None:
    return (
        restrict(AppraisalRound.objects.filter(branch=branch, year=year), user, "view")
        .select_related("branch")
        .first()
    )


def branches_for(*, user: Any, action: str = "add") -> QuerySet[PartyOrg]:
    """Branches where ``user`` may ``action`` appraisal rounds (form choices)."""
    qs = PartyOrg.objects.filter(kind=PartyOrg.Kind.BRANCH, dissolved_on__isnull=True)
    if user is SYSTEM:
        return qs.order_by("path")
    q = scope_q(AppraisalRound, user, action)
    if q is None:
        return qs.none()
    if q:  # subtree grants only (rounds have no person)
        paths = list(org_paths_for(user, AppraisalRound, action))
        cond = Q()
        for path in paths:
            cond |= Q(path__startswith=path)
        qs = qs.filter(cond) if paths else qs.none()
    return qs.order_by("path")


@dataclass
class Tally:
    peer: Counter[str] = field(default_factory=Counter)
    masses: Counter[str] = field(default_factory=Counter)

    def cells(self, kind: str) -> list[int]:
        counter = self.peer if kind == "peer" else self.masses
        return [counter.get(g, 0) for g in Grade.values]

    @property
    def peer_cells(self) -> list[int]:
        return self.cells("peer")

    @property
    def masses_cells(self) -> list[int]:
        return self.cells("masses")

    def text(self, kind: str) -> str:
        return " / ".join(str(n) for n in self.cells(kind))


@dataclass
class SheetRow:
    entry: AppraisalEntry
    tally: Tally


def grading_sheet(*, user: Any, rnd: AppraisalRound) -> list[SheetRow]:
    """Entries of a round with per-grade vote counts (peer and masses): two queries."""
    entries = list(
        restrict(AppraisalEntry.objects.filter(round=rnd), user, "view")
        .select_related("person", "person__party_group")
        .order_by("person__employee_no", "pk")
    )
    tallies: dict[int, Tally] = {e.pk: Tally() for e in entries}
    counts = (
        AppraisalVote.objects.filter(entry__round=rnd)
        .values("entry_id", "evaluator__kind", "grade")
        .annotate(n=Count("pk"))
    )
    for row in counts:
        tally = tallies.get(row["entry_id"])
        if tally is None:
            continue
        target = tally.peer if row["evaluator__kind"] == "peer" else tally.masses
        target[row["grade"]] += row["n"]
    return [SheetRow(e, tallies[e.pk]) for e in entries]


def evaluators(*, user: Any, rnd: AppraisalRound) -> QuerySet[AppraisalEvaluator]:
    return (
        restrict(AppraisalEvaluator.objects.filter(round=rnd), user, "view")
        .select_related("person")
        .annotate(cast=Count("votes"))
    )


def grade_summary(*, rnd: AppraisalRound) -> dict[str, int]:
    counts = dict(
        AppraisalEntry.objects.filter(round=rnd).values_list("grade").annotate(n=Count("pk"))
    )
    return {g: counts.get(g, 0) for g in [*Grade.values, ""]}


def my_entries(*, user: Any) -> QuerySet[AppraisalEntry]:
    """The user's own appraisal entries (self scope: the person linked to the account)."""
    person_id = getattr(getattr(user, "person", None), "pk", None)
    if person_id is None:
        return AppraisalEntry.objects.none()
    return (
        restrict(AppraisalEntry.objects.filter(person_id=person_id), user, "view")
        .select_related("round", "round__branch")
        .order_by("-round__year")
    )


def my_ballots(*, user: Any) -> QuerySet[AppraisalEvaluator]:
    """Rounds in which the user's person was named an evaluator."""
    person_id = getattr(getattr(user, "person", None), "pk", None)
    if person_id is None:
        return AppraisalEvaluator.objects.none()
    return (
        restrict(AppraisalEvaluator.objects.filter(person_id=person_id), user, "view")
        .select_related("round", "round__branch")
        .order_by("-round__year")
    )


def ballot_entries(*, evaluator: AppraisalEvaluator) -> list[tuple[AppraisalEntry, str]]:
    """The members an evaluator grades (not themselves) and the grade already cast."""
    cast = dict(AppraisalVote.objects.filter(evaluator=evaluator).values_list("entry_id", "grade"))
    entries = (
        AppraisalEntry.objects.filter(round_id=evaluator.round_id)
        .exclude(person_id=evaluator.person_id)
        .select_related("person")
        .order_by("person__employee_no", "pk")
    )
    return [(e, cast.get(e.pk, "")) for e in entries]
