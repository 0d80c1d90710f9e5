"""Member activity for the lapse watch: person → last day of their paid-up month (党费交至)."""

from __future__ import annotations

import datetime as dt

from dangjian.core.periods import Period
from dangjian.core.registries import register_member_activity
from dangjian.dues.models import month_of
from dangjian.dues.selectors import paid_up_months


@register_member_activity("dues")
def paid_up_dates(person_ids: list[int]) -> dict[int, dt.date]:
    result: dict[int, dt.date] = {}
    for pid, index in paid_up_months(list(person_ids)).items():
        if index is not None:
            result[pid] = Period.month(*month_of(index)).end
    return result
