"""Money as integer fen (分): parsing, formatting, percentages. Never float.

Rounding rule (documented, tested): a percentage of an amount is computed in ``Decimal`` and
rounded to the fen, half up (四舍五入到分): 1499.995 分 → 1500 分.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN_PER_YUAN = 100
MAX_FEN = 10**13  # 1000 亿元: anything above is a typo


class MoneyError(ValueError):
    pass


def parse_yuan(text: str | int | Decimal | None) -> int:
    """'3000.01' → 300001 fen. At most two decimals; no negatives; no floats."""
    if text is None:
        raise MoneyError("请输入金额。")
    if isinstance(text, float):
        raise MoneyError("金额不能以浮点数传递。")
    raw = str(text).strip().replace(",", "").replace("，", "")
    if raw == "":
        raise MoneyError("请输入金额。")
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise MoneyError("金额格式不正确，应为数字，最多两位小数。") from exc
    if not value.is_finite():
        raise MoneyError("金额格式不正确，应为数字，最多两位小数。")
    if value < 0:
        raise MoneyError("金额不能为负数。")
    fen = value * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise MoneyError("金额最多保留两位小数（到分）。")
    if fen > MAX_FEN:
        raise MoneyError("金额过大。")
    return int(fen)


def fmt_fen(fen: int | None) -> str:
    """300001 → '3000.01' (元, two decimals)."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    return f"{sign}{fen // FEN_PER_YUAN}.{fen % FEN_PER_YUAN:02d}"


def percent_of(base_fen: int, rate: Decimal) -> int:
    """``base × rate`` rounded to the fen, half up."""
    return int((Decimal(int(base_fen)) * Decimal(rate)).quantize(Decimal(1), ROUND_HALF_UP))
