"""Indicator ``dues.paid_on_time``: share of a branch's bills (its subtree) of the months in
the period that were paid by the end of their month. Set-based: two queries for any number of
branches; the bills behind each number are its records."""

from __future__ import annotations

from typing import Any

from dangjian.core.periods import Period
from dangjian.core.registries import IndicatorValue, register_indicator
from dangjian.dues.models import DuesBill, month_index
from dangjian.orgs.models import PartyOrg


@register_indicator("dues.paid_on_time", "党费按月交纳率", "%")
def paid_on_time(branch_ids: list[int], period: Period) -> dict[int, IndicatorValue]:
    paths = dict(PartyOrg.objects.filter(pk__in=branch_ids).values_list("path", "pk"))
    first = month_index(period.start.year, period.start.month)
    last = month_index(period.end.year, period.end.month)
    if not paths:
        return {pk: IndicatorValue(value=0.0) for pk in branch_ids}
    bills = DuesBill.objects.filter(month_index__gte=first, month_index__lte=last)
    widths = sorted({len(p) for p in paths})
    tally: dict[int, list[Any]] = {pk: [0, 0, []] for pk in branch_ids}
    for pk, path, index, paid_on in bills.values_list(
        "pk", "party_org__path", "month_index", "paid_on"
    ).iterator():
        owner = next((paths[path[:w]] for w in widths if path[:w] in paths), None)
        if owner is None:
            continue
        year, month = divmod(index, 12)
        on_time = paid_on is not None and paid_on <= Period.month(year, month + 1).end
        entry = tally[owner]
        entry[0] += 1
        entry[1] += int(on_time)
        entry[2].append(("dues.duesbill", pk))
    return {
        pk: IndicatorValue(
            value=round(on_time * 100 / total, 1) if total else 0.0,
            records=tuple(records),
            detail=f"应交 {total} 笔，按月交纳 {on_time} 笔",
        )
        for pk, (total, on_time, records) in tally.items()
    }


@register_indicator("dues.arrears_members", "欠交党费党员人数", "人")
def arrears_members(branch_ids: list[int], period: Period) -> dict[int, IndicatorValue]:
    """Members of the branch (its subtree) with a bill of a month ending by the period's end
    still unpaid at that day (never paid, or paid after it). Lower is better; two queries."""
    paths = dict(PartyOrg.objects.filter(pk__in=branch_ids).values_list("path", "pk"))
    if not paths:
        return {pk: IndicatorValue(value=0.0, detail="无欠交") for pk in branch_ids}
    last = month_index(period.end.year, period.end.month)
    if period.end < Period.month(period.end.year, period.end.month).end:
        last -= 1  # the period's last month is not over: its bills are not yet due
    widths = sorted({len(p) for p in paths})
    owing: dict[int, dict[int, list[int]]] = {pk: {} for pk in branch_ids}
    rows = (
        DuesBill.objects.filter(month_index__lte=last)
        .exclude(paid_on__lte=period.end)
        .values_list("pk", "person_id", "party_org__path")
        .order_by("pk")
    )
    for pk, person_id, path in rows.iterator():
        owner = next((paths[path[:w]] for w in widths if path[:w] in paths), None)
        if owner is not None:
            owing[owner].setdefault(person_id, []).append(pk)
    return {
        pk: IndicatorValue(
            value=float(len(people)),
            records=tuple(
                ("dues.duesbill", bill) for bills in people.values() for bill in sorted(bills)
            ),
            detail=(
                f"欠交党员 {len(people)} 人，欠交 {sum(map(len, people.values()))} 个月"
                if people
                else "无欠交"
            ),
        )
        for pk, people in owing.items()
    }
