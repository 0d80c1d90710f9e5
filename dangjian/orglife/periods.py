"""Parse the period parameter of pages and the API: ``2026``, ``2026-Q2`` or ``2026-05``."""

from __future__ import annotations

import re

from dangjian.core.periods import Period

_PATTERN = re.compile(r"^(\d{4})(?:-(?:Q([1-4])|(0[1-9]|1[0-2])))?$")


def parse_period(value: str) -> Period | None:
    match = _PATTERN.match((value or "").strip())
    if match is None:
        return None
    year = int(match.group(1))
    if not 2000 <= year <= 2100:
        return None
    if match.group(2):
        return Period.quarter(year, int(match.group(2)))
    if match.group(3):
        return Period.month(year, int(match.group(3)))
    return Period.year(year)


def period_code(period: Period) -> str:
    if period.kind == "month":
        return f"{period.start:%Y-%m}"
    if period.kind == "quarter":
        return f"{period.start.year}-Q{(period.start.month - 1) // 3 + 1}"
    return f"{period.start.year}"
