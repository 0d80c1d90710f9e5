"""Fixtures of the development tests: the step table (transactional tests flush the seeded rows)
and a helper that walks a case through its steps on valid dates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dangjian.development.defaults import seed_steps
from dangjian.development.models import StepRule


@pytest.fixture(autouse=True)
def step_table(db: Any) -> None:
    seed_steps(StepRule)


@pytest.fixture
def applicant(mine: Any) -> Any:
    """李群众 of branch A (born 1985), a masses employee: the usual applicant."""
    return mine.masses_a


def walk(case: Any, actor: Any, until: int, start: dt.date, **extra: Any) -> dict[int, dt.date]:
    """Complete steps 2..``until`` each on the earliest allowed day; returns the dates."""
    from dangjian.development import services

    dates: dict[int, dt.date] = {}
    for number in range(2, until + 1):
        case.refresh_from_db()
        steps = services.step_rules()
        done = dict(case.steps.values_list("step", "completed_on"))
        window = services.step_window(steps[number], done, case)
        day = window.earliest or start
        kwargs: dict[str, Any] = {}
        if steps[number].min_hours:
            kwargs["hours"] = steps[number].min_hours
        services.step_complete(
            actor=actor, case_id=case.pk, step=number, completed_on=day, today=day, **kwargs
        )
        dates[number] = day
    case.refresh_from_db()
    return dates
