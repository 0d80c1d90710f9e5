"""Calendar periods (month, quarter, year) used by rules, compliance, dues and assessment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive
    kind: str  # month | quarter | half | year
    label: str

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        start = dt.date(year, month, 1)
        end = (dt.date(year + (month == 12), month % 12 + 1, 1)) - dt.timedelta(days=1)
        return cls(start, end, "month", f"{year}年{month}月")

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        first = 3 * (quarter - 1) + 1
        start = dt.date(year, first, 1)
        end = cls.month(year, first + 2).end
        return cls(start, end, "quarter", f"{year}年第{quarter}季度")

    @classmethod
    def half(cls, year: int, half: int) -> Period:
        start = dt.date(year, 1 if half == 1 else 7, 1)
        end = dt.date(year, 6, 30) if half == 1 else dt.date(year, 12, 31)
        return cls(start, end, "half", f"{year}年{'上' if half == 1 else '下'}半年")

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31), "year", f"{year}年")

    @classmethod
    def containing(cls, day: dt.date, kind: str) -> Period:
        if kind == "month":
            return cls.month(day.year, day.month)
        if kind == "quarter":
            return cls.quarter(day.year, (day.month - 1) // 3 + 1)
        if kind == "half":
            return cls.half(day.year, 1 if day.month <= 6 else 2)
        if kind == "year":
            return cls.year(day.year)
        raise ValueError(f"unknown period kind {kind!r}")

    def previous(self) -> Period:
        return Period.containing(self.start - dt.timedelta(days=1), self.kind)

    def next(self) -> Period:
        return Period.containing(self.end + dt.timedelta(days=1), self.kind)
