"""Calendar periods at their edges."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.core.periods import Period


@pytest.mark.parametrize(
    ("day", "kind", "start", "end"),
    [
        (dt.date(2026, 2, 14), "month", dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
        (dt.date(2024, 2, 29), "month", dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
        (dt.date(2026, 12, 31), "month", dt.date(2026, 12, 1), dt.date(2026, 12, 31)),
        (dt.date(2026, 3, 31), "quarter", dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
        (dt.date(2026, 4, 1), "quarter", dt.date(2026, 4, 1), dt.date(2026, 6, 30)),
        (dt.date(2026, 12, 31), "quarter", dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
        (dt.date(2026, 6, 30), "half", dt.date(2026, 1, 1), dt.date(2026, 6, 30)),
        (dt.date(2026, 7, 1), "half", dt.date(2026, 7, 1), dt.date(2026, 12, 31)),
        (dt.date(2026, 7, 1), "year", dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
    ],
)
def test_period_containing(day, kind, start, end):
    period = Period.containing(day, kind)
    assert (period.start, period.end) == (start, end)
    assert day in period
    assert period.start - dt.timedelta(days=1) not in period


def test_previous_and_next_cross_year():
    q1 = Period.quarter(2026, 1)
    assert q1.previous() == Period.quarter(2025, 4)
    assert Period.quarter(2025, 4).next() == q1
    assert Period.month(2026, 1).previous().label == "2025年12月"


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown period kind"):
        Period.containing(dt.date(2026, 1, 1), "week")
