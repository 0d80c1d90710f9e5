"""Indicator for the assessment engine: the branch's backlog of Party-relationship transfers.

``transfers.backlog``: transfers of the branch (either side, its groups included) still open
today — awaiting approval, acceptance or the receipt of the letter — that were started on or
before the end of the period; the detail names the letters whose validity ran out unreturned.
Lower is better. One query whatever the number of branches; the transfers are the records.
"""

from __future__ import annotations

from typing import Any

from dangjian.core.periods import Period
from dangjian.core.registries import IndicatorValue, register_indicator
from dangjian.orgs.models import PartyOrg
from dangjian.transfers.models import Transfer

OPEN = (
    Transfer.Status.PENDING_OUT,
    Transfer.Status.PENDING_IN,
    Transfer.Status.AWAITING_RECEIPT,
)


@register_indicator("transfers.backlog", "组织关系转接积压件数", "件")
def backlog(branch_ids: list[int], period: Period) -> dict[int, IndicatorValue]:
    paths = dict(PartyOrg.objects.filter(pk__in=branch_ids).values_list("path", "pk"))
    tally: dict[int, list[Any]] = {pk: [0, []] for pk in branch_ids}
    if not paths:
        return {pk: IndicatorValue(0.0, (), "无积压") for pk in branch_ids}
    widths = sorted({len(p) for p in paths})
    # open transfers are few whatever the size of the tree: fetch them all, match in Python
    rows = (
        Transfer.objects.filter(status__in=OPEN, requested_at__date__lte=period.end)
        .values_list("pk", "status", "from_org__path", "to_org__path", "valid_until")
        .order_by("pk")
    )
    overdue: dict[int, int] = {}
    for pk, status, from_path, to_path, valid_until in rows:
        owners = set()
        for path in (from_path, to_path):
            if path:
                owner = next((paths[path[:w]] for w in widths if path[:w] in paths), None)
                if owner is not None:
                    owners.add(owner)
        for owner in owners:
            tally[owner][0] += 1
            tally[owner][1].append(("transfers.transfer", pk))
            if (
                status == Transfer.Status.AWAITING_RECEIPT
                and valid_until is not None
                and valid_until < period.end
            ):
                overdue[owner] = overdue.get(owner, 0) + 1
    return {
        pk: IndicatorValue(
            float(count),
            tuple(records),
            f"未办结 {count} 件（其中介绍信逾期未回执 {overdue.get(pk, 0)} 件）"
            if count
            else "无积压",
        )
        for pk, (count, records) in tally.items()
    }
