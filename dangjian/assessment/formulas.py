"""Formulas from a measured value (indicator, survey score, count) to points, stored as data.

A criterion's ``formula`` is a small JSON object; three kinds exist:

``{"kind": "linear", "zero_at": 60, "full_at": 100}``
    the fraction of the maximum grows linearly from ``zero_at`` (0 points) to ``full_at``
    (full points); ``zero_at`` may be above ``full_at`` for lower-is-better values (days,
    backlog). Outside the range the points are clamped to [0, max].
``{"kind": "steps", "steps": [[95, 1.0], [85, 0.8], [0, 0]]}``
    the first threshold the value reaches (value >= threshold) gives the fraction of the maximum;
    with ``"lower_is_better": true`` the first threshold the value does not exceed
    (value <= threshold) does. Steps are evaluated from the best threshold down, whatever order
    they were written in; a value reaching none of them scores 0.
``{"kind": "per_unit", "points": 0.5, "direction": "deduct"}``
    for counts: ``add`` gives min(max, n × points), ``deduct`` gives max(0, max − n × points).

An unknown value (``None``: no data) scores 0 points; :func:`describe` renders a formula in
words for the scheme pages.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError

CENT = Decimal("0.01")
KINDS = {"linear": "线性折算", "steps": "分档计分", "per_unit": "按次计分"}


def _number(value: Any) -> bool:
    return (
        isinstance(value, int | float | Decimal)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _dec(value: Any) -> Decimal:
    return Decimal(str(value))


def _clamp(points: Decimal, max_points: Decimal) -> Decimal:
    points = min(max(points, Decimal(0)), max_points)
    return points.quantize(CENT, rounding=ROUND_HALF_UP)


def _sorted_steps(formula: dict[str, Any]) -> list[tuple[Decimal, Decimal]]:
    steps = [(_dec(t), _dec(f)) for t, f in formula["steps"]]
    lower = bool(formula.get("lower_is_better"))
    # best threshold first: highest for higher-is-better, lowest for lower-is-better
    return sorted(steps, key=lambda s: s[0], reverse=not lower)


def points_from_value(formula: dict[str, Any], value: float | None, max_points: Decimal) -> Decimal:
    """Points for ``value`` under ``formula``, quantised to 0.01 and clamped to [0, max]."""
    validate_formula(formula)
    max_points = _dec(max_points)
    if value is None or not _number(value):
        return Decimal("0.00")
    v = _dec(value)
    kind = formula["kind"]
    if kind == "linear":
        zero, full = _dec(formula["zero_at"]), _dec(formula["full_at"])
        fraction = (v - zero) / (full - zero)
        return _clamp(max_points * fraction, max_points)
    if kind == "steps":
        lower = bool(formula.get("lower_is_better"))
        for threshold, fraction in _sorted_steps(formula):
            if (v <= threshold) if lower else (v >= threshold):
                return _clamp(max_points * fraction, max_points)
        return Decimal("0.00")
    # per_unit
    per = _dec(formula["points"])
    n = max(v, Decimal(0))
    if formula.get("direction", "deduct") == "add":
        return _clamp(n * per, max_points)
    return _clamp(max_points - n * per, max_points)


def validate_formula(formula: Any) -> None:
    """Raise a ValidationError (Chinese, naming the faulty part) unless ``formula`` is valid."""
    if not isinstance(formula, dict):
        raise ValidationError('计分公式应为对象（JSON），例如 {"kind": "linear", ...}。')
    kind = formula.get("kind")
    if kind not in KINDS:
        raise ValidationError(
            f"计分公式类型“{kind}”无效，应为 linear（线性折算）、steps（分档计分）"
            "或 per_unit（按次计分）之一。"
        )
    errors: list[str] = []
    if kind == "linear":
        for key, label in (("zero_at", "得零分的值 zero_at"), ("full_at", "得满分的值 full_at")):
            if not _number(formula.get(key)):
                errors.append(f"线性折算缺少{label}，或不是数字。")
        if not errors and _dec(formula["zero_at"]) == _dec(formula["full_at"]):
            errors.append("线性折算的 zero_at 与 full_at 不能相等。")
    elif kind == "steps":
        steps = formula.get("steps")
        if not isinstance(steps, list) or not steps:
            errors.append("分档计分至少需要一档（steps: [[阈值, 得分比例], ...]）。")
        else:
            seen: set[Decimal] = set()
            for index, step in enumerate(steps, start=1):
                if (
                    not isinstance(step, list | tuple)
                    or len(step) != 2
                    or not all(_number(x) for x in step)
                ):
                    errors.append(f"第{index}档应为 [阈值, 得分比例] 两个数字。")
                    continue
                threshold, fraction = _dec(step[0]), _dec(step[1])
                if not Decimal(0) <= fraction <= Decimal(1):
                    errors.append(f"第{index}档的得分比例 {step[1]} 应在 0 至 1 之间。")
                if threshold in seen:
                    errors.append(f"第{index}档的阈值 {step[0]} 重复。")
                seen.add(threshold)
            if not errors:
                ordered = _sorted_steps(formula)
                fractions = [f for _, f in ordered]
                if fractions != sorted(fractions, reverse=True):
                    errors.append("分档计分的得分比例应随指标变差而不增加（越好的档得分越高）。")
        if "lower_is_better" in formula and not isinstance(formula["lower_is_better"], bool):
            errors.append("lower_is_better 应为 true 或 false。")
    else:  # per_unit
        if not _number(formula.get("points")) or _dec(formula["points"]) <= 0:
            errors.append("按次计分的每次分值 points 应为大于 0 的数字。")
        if formula.get("direction", "deduct") not in ("add", "deduct"):
            errors.append("按次计分的方向 direction 应为 add（加分）或 deduct（扣分）。")
    if errors:
        raise ValidationError(errors)


def parse_formula(text: str) -> dict[str, Any]:
    """A formula typed as JSON in a form; ValidationError in Chinese when it is not JSON."""
    import json

    text = (text or "").strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"计分公式不是有效的 JSON：{exc.msg}（第{exc.pos + 1}个字符）。"
        ) from exc
    validate_formula(value)
    return value


def _fmt(value: Any) -> str:
    try:
        number = _dec(value).normalize()
    except (InvalidOperation, ValueError):
        return str(value)
    text = format(number, "f")
    return text


def describe(formula: dict[str, Any] | None, unit: str = "") -> str:
    """The formula in words (Chinese), for scheme pages and exports."""
    if not formula:
        return ""
    try:
        validate_formula(formula)
    except ValidationError:
        return "（计分公式无效）"
    kind = formula["kind"]
    if kind == "linear":
        zero, full = formula["zero_at"], formula["full_at"]
        return f"指标 {_fmt(zero)}{unit} 得 0 分，{_fmt(full)}{unit} 得满分，其间按比例折算"
    if kind == "steps":
        lower = bool(formula.get("lower_is_better"))
        word = "≤" if lower else "≥"
        parts = [f"{word}{_fmt(t)}{unit} 得{_fmt(f * 100)}%" for t, f in _sorted_steps(formula)]
        return "分档：" + "；".join(parts) + "；其余得 0 分"
    per = _fmt(formula["points"])
    if formula.get("direction", "deduct") == "add":
        return f"每次加 {per} 分，加满为止"
    return f"每次扣 {per} 分，扣完为止"
