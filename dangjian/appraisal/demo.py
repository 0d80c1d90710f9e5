"""Demo year: last year's democratic appraisal, closed, for every branch of the demo mine."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from dangjian.appraisal.models import (
    AppraisalEntry,
    AppraisalEvaluator,
    AppraisalRound,
    AppraisalVote,
    Grade,
)
from dangjian.appraisal.rules import excellent_cap
from dangjian.orgs.models import PartyOrg
from dangjian.people.models import PARTY_MEMBER_STATUSES, MembershipStatus, Person

PEERS = 5
MASSES = 5


def load(*, today: dt.date, rng: random.Random) -> None:
    year = today.year - 1
    closed_at = timezone.make_aware(dt.datetime(year, 12, 20, 16, 0))
    branches = list(PartyOrg.objects.filter(kind=PartyOrg.Kind.BRANCH).order_by("path"))
    AppraisalRound.objects.bulk_create(
        AppraisalRound(
            branch=b,
            year=year,
            state=AppraisalRound.State.CLOSED,
            note="年底组织生活会前完成",
            closed_at=closed_at,
        )
        for b in branches
    )
    rounds = list(
        AppraisalRound.objects.filter(year=year, branch__in=branches).select_related("branch")
    )
    persons = Person.objects.filter(
        party_org__path__startswith=PartyOrg.objects.filter(parent__isnull=True)
        .values_list("path", flat=True)
        .first()
        or ""
    ).values_list("pk", "party_org__path", "political_status", "membership_status")
    by_branch: dict[int, tuple[list[int], list[int]]] = {r.branch_id: ([], []) for r in rounds}
    path_of = {r.branch_id: r.branch.path for r in rounds}
    for pk, path, status, membership in persons:
        for branch_id, branch_path in path_of.items():
            if path.startswith(branch_path):
                members, masses = by_branch[branch_id]
                if status in PARTY_MEMBER_STATUSES:
                    if membership == MembershipStatus.NORMAL:
                        members.append(pk)
                else:
                    masses.append(pk)
                break
    entries: list[AppraisalEntry] = []
    evaluators: list[AppraisalEvaluator] = []
    for rnd in rounds:
        members, masses = by_branch[rnd.branch_id]
        cap = excellent_cap(len(members))
        excellent = set(rng.sample(members, min(cap, max(0, len(members) // 4))))
        for pk in members:
            if pk in excellent:
                grade = Grade.EXCELLENT
            else:
                grade = rng.choices(
                    [Grade.QUALIFIED, Grade.BASIC, Grade.UNQUALIFIED], weights=[95, 4, 1]
                )[0]
            entries.append(
                AppraisalEntry(
                    round=rnd,
                    person_id=pk,
                    grade=grade,
                    graded_at=closed_at,
                    self_assessment="对照党员标准，认真查摆思想、工作、作风等方面存在的不足，明确整改方向。",
                    self_submitted_at=closed_at - dt.timedelta(days=20),
                )
            )
        for pk in rng.sample(members, min(PEERS, len(members))):
            evaluators.append(AppraisalEvaluator(round=rnd, person_id=pk, kind="peer"))
        for pk in rng.sample(masses, min(MASSES, len(masses))):
            evaluators.append(AppraisalEvaluator(round=rnd, person_id=pk, kind="masses"))
    AppraisalEntry.objects.bulk_create(entries, batch_size=2000)
    AppraisalEvaluator.objects.bulk_create(evaluators, batch_size=2000)
    saved_entries: dict[int, list[Any]] = {}
    for e in AppraisalEntry.objects.filter(round__in=rounds).values(
        "pk", "round_id", "person_id", "grade"
    ):
        saved_entries.setdefault(e["round_id"], []).append(e)
    votes: list[AppraisalVote] = []
    for ev in AppraisalEvaluator.objects.filter(round__in=rounds).values(
        "pk", "round_id", "person_id"
    ):
        for e in saved_entries.get(ev["round_id"], []):
            if e["person_id"] == ev["person_id"]:
                continue
            grade = e["grade"] if rng.random() < 0.8 else Grade.QUALIFIED
            votes.append(AppraisalVote(entry_id=e["pk"], evaluator_id=ev["pk"], grade=grade))
    AppraisalVote.objects.bulk_create(votes, batch_size=5000)
