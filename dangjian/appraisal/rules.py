"""The 优秀 cap of democratic appraisal, read from the rule ``appraisal.excellent_max_ratio``.

The ratio is stored as a fraction ("1/3") so the cap is exact integer arithmetic:
``cap = floor(members_appraised × ratio)`` — rounded DOWN (3 members → 1, 5 → 1, 6 → 2),
because "不得超过三分之一" forbids any excess.
"""

from __future__ import annotations

from fractions import Fraction

from dangjian.core.rules import rule

_DIGITS = "零一二三四五六七八九十"


def excellent_ratio() -> Fraction:
    value = rule("appraisal.excellent_max_ratio")
    ratio = Fraction(str(value))
    if not 0 <= ratio <= 1:
        raise ValueError("appraisal.excellent_max_ratio must lie in [0, 1]")
    return ratio


def excellent_cap(appraised: int, ratio: Fraction | None = None) -> int:
    ratio = excellent_ratio() if ratio is None else ratio
    return appraised * ratio.numerator // ratio.denominator


def ratio_text(ratio: Fraction) -> str:
    """1/3 → 三分之一; other fractions in words where small, else in digits."""

    def cn(n: int) -> str:
        return _DIGITS[n] if 0 <= n <= 10 else str(n)

    return f"{cn(ratio.denominator)}分之{cn(ratio.numerator)}"


def cap_message(cap: int, ratio: Fraction) -> str:
    return f"优秀等次不得超过参评党员的{ratio_text(ratio)}（最多 {cap} 名）"
