"""The shared test support's clock helper: tests that move the clock must not cross midnight."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from dangjian.core.testing import clear_of_midnight

UTC = dt.UTC


def test_afternoon_is_left_alone():
    now = dt.datetime(2026, 6, 1, 6, 0, tzinfo=UTC)  # 14:00 in Asia/Shanghai
    assert clear_of_midnight(now=now) == now


def test_minutes_before_local_midnight_move_past_it():
    now = dt.datetime(2026, 6, 1, 15, 51, tzinfo=UTC)  # 23:51 in Asia/Shanghai
    moved = clear_of_midnight(now=now)
    assert timezone.localtime(moved).date() == dt.date(2026, 6, 2)
    # twenty minutes on from the moved time is still the same local day
    assert timezone.localtime(moved + dt.timedelta(minutes=20)).date() == dt.date(2026, 6, 2)
    assert moved > now


def test_the_margin_is_a_parameter():
    now = dt.datetime(2026, 6, 1, 15, 0, tzinfo=UTC)  # 23:00 in Asia/Shanghai
    assert clear_of_midnight(now=now) == now
    assert timezone.localtime(clear_of_midnight(minutes=90, now=now)).date() == dt.date(2026, 6, 2)
