"""Dues rules read from the rule tables (never literals): brackets and category amounts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

from dangjian.dues.models import DuesBracket, IncomeComponent, MemberCategory
from dangjian.dues.money import fmt_fen, percent_of


@dataclass(frozen=True)
class Amount:
    base_fen: int
    rate: Decimal | None
    monthly_fen: int


def brackets(scheme: str) -> list[tuple[int | None, Decimal]]:
    """(inclusive upper bound in fen or None for the open top, rate), lowest first."""
    rows = list(DuesBracket.objects.filter(scheme=scheme).values_list("upper_fen", "rate"))
    rows.sort(key=lambda r: (r[0] is None, r[0] or 0))
    return rows


def rate_for(base_fen: int, table: list[tuple[int | None, Decimal]]) -> Decimal:
    """The rate of the first bracket whose upper bound is >= base (upper bounds inclusive)."""
    for upper, rate in table:
        if upper is None or base_fen <= upper:
            return rate
    raise ValidationError("党费比例档次未覆盖该基数，请联系管理员完善档次设置。")


def base_from_components(components: dict[str, int], scheme: str) -> int:
    """Sum of the active components of the scheme (deductions subtract); never below zero."""
    total = 0
    for comp in IncomeComponent.objects.filter(active=True):
        if not comp.applies_to(scheme):
            continue
        total += comp.sign * int(components.get(comp.code, 0) or 0)
    return max(total, 0)


def compute_amount(
    category: MemberCategory,
    *,
    components: dict[str, int] | None = None,
    fixed_fen: int | None = None,
    table: list[tuple[int | None, Decimal]] | None = None,
) -> Amount:
    """Monthly dues of a member of ``category`` (bracket on the base, or a fixed amount)."""
    if category.kind == MemberCategory.Kind.FIXED:
        amount = category.fixed_min_fen if fixed_fen is None else int(fixed_fen)
        low, high = category.fixed_min_fen, category.fixed_max_fen
        if not low <= amount <= high:
            span = fmt_fen(low) if low == high else f"{fmt_fen(low)}–{fmt_fen(high)}"
            raise ValidationError(
                {"fixed_amount": [f"{category.name}每月交纳党费应为 {span} 元。"]}
            )
        return Amount(base_fen=0, rate=None, monthly_fen=amount)
    scheme = category.scheme
    base = base_from_components(components or {}, scheme)
    rate = rate_for(base, table if table is not None else brackets(scheme))
    return Amount(base_fen=base, rate=rate, monthly_fen=percent_of(base, rate))


def component_fields(scheme: str) -> list[Any]:
    return [c for c in IncomeComponent.objects.filter(active=True) if c.applies_to(scheme)]
