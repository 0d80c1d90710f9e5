"""The shared test support's clock helper: tests that move the clock must not cross midnight."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from django.utils import timezone

from dangjian.core.testing import clear_of_midnight, hold_date

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


def test_hold_date_leaves_the_clock_alone_on_the_same_day():
    import time_machine

    now = dt.datetime(2026, 6, 1, 6, 0, tzinfo=UTC)
    with time_machine.travel(now, tick=False), hold_date(timezone.localdate()):
        assert timezone.now() == now


def test_hold_date_keeps_a_collected_date_after_midnight():
    import time_machine

    collected = dt.date(2026, 6, 1)
    after_midnight = dt.datetime(2026, 6, 1, 16, 1, tzinfo=UTC)  # 00:01 on 2 June in Beijing
    with time_machine.travel(after_midnight, tick=False):
        assert timezone.localdate() != collected
        with hold_date(collected):
            assert timezone.localdate() == collected
        assert timezone.localdate() == dt.date(2026, 6, 2)


CLOCK_CONSTANT = re.compile(r"^[A-Z_]+ = .*\b(localdate|localtime|now|today)\(", re.MULTILINE)


def test_modules_reading_the_clock_at_collection_hold_that_date():
    root = Path(__file__).resolve().parents[3]
    offenders = [
        str(path.relative_to(root))
        for folder in ("dangjian", "tests")
        for path in (root / folder).rglob("test_*.py")
        if CLOCK_CONSTANT.search(path.read_text(encoding="utf-8"))
        and "hold_date(" not in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_the_clock_constant_pattern_finds_what_it_should():
    assert CLOCK_CONSTANT.search("x = 1\nTODAY = timezone.localdate()\n")
    assert CLOCK_CONSTANT.search("YEAR = timezone.now().year\n")
    assert not CLOCK_CONSTANT.search("TODAY = dt.date(2026, 6, 1)\n")
