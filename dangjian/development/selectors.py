"""Reads of member development, always scoped: pipeline lists, overview, per-person timeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from dangjian.core.scope import restrict
from dangjian.development.models import DevelopmentCase, Stage, StepDocument, StepRecord, StepRule
from dangjian.development.services import Window, next_due, probation_end, step_rules, step_window
from dangjian.orgs.models import PartyOrg

LIST_RELATED = ("person", "branch")
STATE_CHOICES = DevelopmentCase.State.choices


def case_list(
    *,
    user: Any,
    action: str = "view",
    q: str = "",
    branch: int | None = None,
    stage: int | None = None,
    state: str = "active",
    overdue: bool | None = None,
    today: dt.date | None = None,
) -> QuerySet[DevelopmentCase]:
    """Cases the user may see; ``state`` "" means every state; ``branch`` includes its subtree."""
    qs = restrict(DevelopmentCase.objects.select_related(*LIST_RELATED), user, action)
    if q:
        q = q.strip()
        qs = qs.filter(Q(person__name__contains=q) | Q(person__employee_no=q))
    if branch:
        org = PartyOrg.objects.filter(pk=branch).only("path").first()
        qs = qs.filter(branch__path__startswith=org.path) if org else qs.none()
    if stage:
        qs = qs.filter(current_stage=stage)
    if state:
        qs = qs.filter(state=state)
    today = today or timezone.localdate()
    if overdue is True:
        qs = qs.filter(next_latest__lt=today)
    elif overdue is False:
        qs = qs.exclude(next_latest__lt=today)
    return qs


FILTER_PARAMS = {"q": "text", "branch": "int", "stage": "int", "state": "text", "overdue": "bool"}


def case_filters(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parse list filters from a query string (invalid values are ignored)."""
    result: dict[str, Any] = {}
    q = str(params.get("q") or "").strip()[:50]
    if q:
        result["q"] = q
    for key in ("branch", "stage"):
        try:
            value = int(params.get(key) or 0)
        except (TypeError, ValueError):
            value = 0
        if 0 < value < 2**62:
            result[key] = value
    state = params.get("state")
    if state is None:
        result["state"] = "active"
    elif state in DevelopmentCase.State.values or state == "":
        result["state"] = state
    else:
        result["state"] = "active"
    overdue = params.get("overdue")
    if overdue in ("1", "true"):
        result["overdue"] = True
    elif overdue in ("0", "false"):
        result["overdue"] = False
    return result


def case_get(*, user: Any, pk: int, action: str = "view") -> DevelopmentCase | None:
    return (
        restrict(DevelopmentCase.objects.select_related(*LIST_RELATED), user, action)
        .filter(pk=pk)
        .first()
    )


def stage_counts(qs: QuerySet[DevelopmentCase], today: dt.date) -> list[dict[str, Any]]:
    """Cases per stage of an already filtered list, with how many are overdue (one query)."""
    rows = {
        r["current_stage"]: r
        for r in qs.order_by()
        .values("current_stage")
        .annotate(n=Count("pk"), overdue=Count("pk", filter=Q(next_latest__lt=today)))
    }
    return [
        {
            "stage": value,
            "label": label,
            "count": rows.get(value, {}).get("n", 0),
            "overdue": rows.get(value, {}).get("overdue", 0),
        }
        for value, label in Stage.choices
    ]


@dataclass
class BranchRow:
    branch_id: int
    name: str
    stages: list[int]
    total: int
    overdue: int


def committee_overview(*, user: Any, today: dt.date | None = None) -> list[BranchRow]:
    """Active cases per branch and stage across every branch the user sees (one query)."""
    today = today or timezone.localdate()
    qs = restrict(DevelopmentCase.objects.all(), user, "view").filter(
        state=DevelopmentCase.State.ACTIVE
    )
    rows: dict[int, BranchRow] = {}
    for r in (
        qs.order_by()
        .values("branch_id", "branch__name", "branch__path", "current_stage")
        .annotate(n=Count("pk"), overdue=Count("pk", filter=Q(next_latest__lt=today)))
        .order_by("branch__path")
    ):
        row = rows.setdefault(
            r["branch_id"],
            BranchRow(r["branch_id"], r["branch__name"], [0] * len(Stage.choices), 0, 0),
        )
        row.stages[r["current_stage"] - 1] += r["n"]
        row.total += r["n"]
        row.overdue += r["overdue"]
    return list(rows.values())


@dataclass
class TimelineRow:
    rule: StepRule
    record: StepRecord | None
    documents: list[StepDocument]
    window: Window | None
    status: str  # done | due | overdue | waiting | blocked | closed

    @property
    def status_label(self) -> str:
        return {
            "done": "已完成",
            "due": "可办理",
            "overdue": "已超期",
            "waiting": "未到期",
            "blocked": "待前置步骤",
            "closed": "—",
        }[self.status]


@dataclass
class Timeline:
    rows: list[TimelineRow]
    due: list[Window]
    probation_end: dt.date | None


def case_timeline(*, user: Any, case: DevelopmentCase, today: dt.date | None = None) -> Timeline:
    """Every step of the case: done (date, who, documents) or when it may / must be done."""
    today = today or timezone.localdate()
    steps = step_rules()
    records = {
        r.step: r
        for r in restrict(StepRecord.objects.filter(case=case), user, "view").prefetch_related(
            "documents"
        )
    }
    done = {n: r.completed_on for n, r in records.items()}
    active = case.state == DevelopmentCase.State.ACTIVE
    rows: list[TimelineRow] = []
    for number, rule in sorted(steps.items()):
        record = records.get(number)
        if record is not None:
            rows.append(TimelineRow(rule, record, list(record.documents.all()), None, "done"))
            continue
        window = step_window(rule, done, case)
        if not active:
            status = "closed"
        elif window.missing:
            status = "blocked"
        elif window.latest and window.latest < today:
            status = "overdue"
        elif window.earliest and window.earliest > today:
            status = "waiting"
        else:
            status = "due"
        rows.append(TimelineRow(rule, None, [], window, status))
    due = next_due(case, done, steps) if active else []
    return Timeline(rows, due, probation_end(case, done, steps))


def document_get(*, user: Any, uid: str) -> StepDocument | None:
    return restrict(StepDocument.objects.all(), user, "view").filter(uid=uid).first()


def step_rule_list() -> QuerySet[StepRule]:
    """The rule table (global configuration, not organisation data: callers check the perm)."""
    return StepRule.objects.order_by("number")


def candidates_for_case(*, user: Any, q: str = "") -> QuerySet[Any]:
    """Persons the user may register as applicants: 群众/共青团员 without an active case."""
    from dangjian.development.services import APPLICANT_FROM
    from dangjian.people.models import Person

    qs = restrict(Person.objects.select_related("party_org"), user, "change").filter(
        political_status__in=APPLICANT_FROM, is_employed=True
    )
    qs = qs.exclude(development_cases__state=DevelopmentCase.State.ACTIVE)
    if q:
        qs = qs.filter(Q(name__contains=q.strip()) | Q(employee_no=q.strip()))
    return qs.order_by("employee_no")
