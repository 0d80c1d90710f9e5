"""Reminder rule of member development: steps due soon (yellow), overdue (red), and steps whose
minimum interval is about to be reached (info, e.g. an activist's year is up).

Set-based: one query over the active cases, whose next due step and window the services keep on
the case row. The branch (``org_id``) and the person concerned (``person_id``) are notified.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q
from django.urls import reverse

from dangjian.core.registries import DueItem, register_reminder_rule
from dangjian.core.rules import rule
from dangjian.development.models import DevelopmentCase, StepRule


@register_reminder_rule("development.steps_due")
def steps_due(today: dt.date) -> Iterable[DueItem]:
    soon = today + dt.timedelta(days=int(rule("development.due_soon_days")))
    names = dict(StepRule.objects.values_list("number", "name"))
    rows = (
        DevelopmentCase.objects.filter(state=DevelopmentCase.State.ACTIVE, next_step__isnull=False)
        .filter(
            Q(next_latest__lte=soon)
            | Q(next_latest__isnull=True, next_earliest__gte=today, next_earliest__lte=soon)
        )
        .order_by("pk")
        .values_list(
            "pk",
            "person_id",
            "person__name",
            "branch_id",
            "next_step",
            "next_earliest",
            "next_latest",
        )
    )
    for pk, person_id, name, branch_id, step, earliest, latest in rows:
        label = f"步骤{step}「{names.get(step or 0, '')}」"
        if latest is not None:
            overdue = latest < today
            title = (
                f"{name}的发展{label}已于 {latest:%Y-%m-%d} 超期，请尽快办理并说明原因"
                if overdue
                else f"{name}的发展{label}须于 {latest:%Y-%m-%d} 前办理"
            )
            level, due_on = ("red" if overdue else "yellow"), latest
        elif earliest is not None:
            title = f"{name}自 {earliest:%Y-%m-%d} 起可办理发展{label}"
            level, due_on = "info", earliest
        else:
            continue
        yield DueItem(
            key=f"development.step_due:{pk}:{step}",
            category="development",
            title=title,
            due_on=due_on,
            level=level,
            org_id=branch_id,
            person_id=person_id,
            url=reverse("development:detail", args=[pk]),
        )
