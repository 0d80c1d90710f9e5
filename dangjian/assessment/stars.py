"""Pure rating rules of the assessment engine: stars from thresholds, quotas, rank, weights.

No database access: the engine (``services/engine.py``) and the annual evaluation
(``services/annual.py``) load rows, call these functions and write the results back. Every
number is a ``Decimal`` quantised to 0.01 so boundaries are exact (90.00 reaches a 90 line,
89.99 does not).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
ZERO = Decimal("0")
STAR_MARKS = {5: "★★★★★", 4: "★★★★", 3: "★★★", 2: "★★", 1: "★", 0: "无星"}


def q(value: Any) -> Decimal:
    """A number as a Decimal with two places (floats go through ``str`` to stay exact)."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return number.quantize(CENT, rounding=ROUND_HALF_UP)


def star_for(total: Decimal, thresholds: Mapping[str, Any]) -> int:
    """The highest star whose line ``total`` reaches; 0 when it reaches none."""
    best = 0
    for star, line in thresholds.items():
        if total >= q(line) and int(star) > best:
            best = int(star)
    return best


def star_text(star: int | None) -> str:
    if star is None:
        return "—"
    return STAR_MARKS.get(star, f"{star}星")


@dataclass
class Rated:
    """One entry to rate: ``key`` identifies it; ``star``/``note`` are filled in."""

    key: Any
    total: Decimal
    sort_key: tuple[Any, ...]  # ascending order = best first (see ``rank``)
    vetoed: bool = False
    has_innovation: bool = True
    rank: int = 0
    star_by_score: int = 0
    star: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def note(self) -> str:
        return "；".join(self.notes)[:300]


def rank(entries: Sequence[Rated]) -> list[Rated]:
    """Distinct ranks 1..n by ``sort_key`` (callers put the full tie-break into it)."""
    ordered = sorted(entries, key=lambda e: e.sort_key)
    for position, entry in enumerate(ordered, start=1):
        entry.rank = position
    return ordered


def apply_stars(
    entries: Sequence[Rated],
    *,
    thresholds: Mapping[str, Any],
    requires_innovation: bool = False,
    quotas: Mapping[str, Any] | None = None,
) -> None:
    """Stars from thresholds, the five-star precondition, vetoes and (optional) quotas.

    * ``star_by_score``: the line reached by the total (a vetoed entry keeps it for reference);
    * a veto removes every star (``star`` 0) while the total stays;
    * five stars need an innovation project when ``requires_innovation``: else four stars;
    * quotas ``{"5": 0.10, "4": 0.40}``: at most floor(n × ratio) entries at that level (n = all
      entries), given by rank; the others drop one level, then the next level's quota applies.
    Entries must already be ranked.
    """
    for entry in entries:
        entry.star_by_score = star_for(entry.total, thresholds)
        entry.star = entry.star_by_score
        if entry.vetoed:
            entry.star = 0
            continue
        if entry.star == 5 and requires_innovation and not entry.has_innovation:
            entry.star = 4
            entry.notes.append("达到五星分数线但无创新项目，评为四星")
    if not quotas:
        return
    n = len(entries)
    by_rank = sorted(entries, key=lambda e: e.rank)
    for level in sorted((int(k) for k in quotas), reverse=True):
        ratio = Decimal(str(quotas[str(level)]))
        cap = int((ratio * n).to_integral_value(rounding=ROUND_FLOOR))
        at_level = [e for e in by_rank if e.star == level]
        for entry in at_level[cap:]:
            entry.star = level - 1
            entry.notes.append(
                f"{level}星名额已满（{n}个×{ratio * 100:g}%={cap}个），按名次降为{level - 1}星"
            )


def normalised(weights: Mapping[str, Any], present: Sequence[str]) -> dict[str, Decimal]:
    """The weights of the ``present`` keys scaled to sum 1 (empty when they sum to 0)."""
    chosen = {k: Decimal(str(weights.get(k, 0) or 0)) for k in present}
    total = sum(chosen.values(), ZERO)
    if total <= 0:
        return {}
    return {k: v / total for k, v in chosen.items()}


def weighted(values: Mapping[str, Decimal], weights: Mapping[str, Any]) -> Decimal | None:
    """Weighted mean of ``values`` with ``weights`` re-normalised over the keys present."""
    scale = normalised(weights, [k for k in values if values[k] is not None])
    if not scale:
        return None
    return q(sum((values[k] * w for k, w in scale.items()), ZERO))
