"""Template filters: fen → 元 text, month index → label."""

from __future__ import annotations

from django import template

from dangjian.dues.models import month_label
from dangjian.dues.money import fmt_fen

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    return fmt_fen(fen) if fen is not None else "—"


@register.filter
def month(index: int | None) -> str:
    return month_label(index)
