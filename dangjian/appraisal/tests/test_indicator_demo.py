"""The appraisal.completed indicator (set-based, by period) and the demo year loader."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.appraisal import demo
from dangjian.appraisal.models import AppraisalEntry, AppraisalRound, AppraisalVote, Grade
from dangjian.appraisal.rules import excellent_cap
from dangjian.appraisal.tests.helpers import add_members, round_in
from dangjian.core.periods import Period
from dangjian.core.registries import indicators

pytestmark = pytest.mark.django_db


def test_indicator_counts_rounds_closed_in_the_period(mine):
    rnd = round_in(mine, "evaluation")
    AppraisalEntry.objects.filter(round=rnd).update(grade=Grade.QUALIFIED)
    from dangjian.appraisal import services

    services.round_advance(actor=mine.users["secretary_a"], round_id=rnd.pk)
    rnd.refresh_from_db()
    func = indicators()["appraisal.completed"].func
    assert rnd.closed_at is not None
    today = rnd.closed_at.date()
    with CaptureQueriesContext(connection) as ctx:
        values = func([mine.branch_a.pk, mine.branch_b.pk], Period.year(today.year))
    assert len(ctx.captured_queries) == 1
    assert values[mine.branch_a.pk].value == 1.0
    assert values[mine.branch_a.pk].records == (("appraisal.appraisalround", rnd.pk),)
    assert values[mine.branch_b.pk].value == 0.0
    assert func([mine.branch_a.pk], Period.year(today.year - 1))[mine.branch_a.pk].value == 0.0


def test_demo_closes_last_years_round_for_every_branch_within_the_cap(mine):
    add_members(mine, 8)
    today = dt.date(2026, 3, 1)
    demo.load(today=today, rng=random.Random(7))
    rounds = AppraisalRound.objects.filter(year=2025)
    assert rounds.count() == 2
    assert set(rounds.values_list("state", flat=True)) == {"closed"}
    for rnd in rounds:
        entries = AppraisalEntry.objects.filter(round=rnd)
        assert not entries.filter(grade="").exists()
        assert entries.filter(grade=Grade.EXCELLENT).count() <= excellent_cap(entries.count())
    assert AppraisalVote.objects.exists()
