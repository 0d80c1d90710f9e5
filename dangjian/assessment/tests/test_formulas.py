"""Formulas from a value to points: boundaries, clamping, None, per-unit counts, validation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from dangjian.assessment.formulas import (
    describe,
    parse_formula,
    points_from_value,
    validate_formula,
)

D = Decimal
LINEAR = {"kind": "linear", "zero_at": 60, "full_at": 100}
STEPS = {"kind": "steps", "steps": [[95, 1.0], [85, 0.8], [60, 0.5]]}
LOWER = {"kind": "steps", "lower_is_better": True, "steps": [[0, 1], [2, 0.6], [5, 0.2]]}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (60, "0.00"),
        (59.9, "0.00"),
        (0, "0.00"),
        (100, "4.00"),
        (120, "4.00"),
        (80, "2.00"),
        (75, "1.50"),
        (61, "0.10"),
        (99.99, "4.00"),
    ],
)
def test_linear_between_zero_and_full_clamped(value, expected):
    assert points_from_value(LINEAR, value, D("4")) == D(expected)


def test_linear_lower_is_better_when_zero_at_is_above_full_at():
    days = {"kind": "linear", "zero_at": 60, "full_at": 30}
    assert points_from_value(days, 30, D("2")) == D("2.00")
    assert points_from_value(days, 10, D("2")) == D("2.00")
    assert points_from_value(days, 45, D("2")) == D("1.00")
    assert points_from_value(days, 60, D("2")) == D("0.00")
    assert points_from_value(days, 90, D("2")) == D("0.00")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (95, "3.00"),
        (100, "3.00"),
        (94.99, "2.40"),
        (85, "2.40"),
        (84.9, "1.50"),
        (60, "1.50"),
        (59.99, "0.00"),
        (-5, "0.00"),
    ],
)
def test_steps_higher_is_better_exactly_at_thresholds(value, expected):
    assert points_from_value(STEPS, value, D("3")) == D(expected)


def test_steps_order_as_written_does_not_matter():
    shuffled = {"kind": "steps", "steps": [[60, 0.5], [95, 1.0], [85, 0.8]]}
    for value in (50, 60, 85, 90, 95, 99):
        assert points_from_value(shuffled, value, D("3")) == points_from_value(STEPS, value, D("3"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, "2.00"), (0.5, "1.20"), (2, "1.20"), (2.01, "0.40"), (5, "0.40"), (6, "0.00")],
)
def test_steps_lower_is_better(value, expected):
    assert points_from_value(LOWER, value, D("2")) == D(expected)


def test_none_value_scores_zero():
    for formula in (LINEAR, STEPS, LOWER, {"kind": "per_unit", "points": 0.5}):
        assert points_from_value(formula, None, D("5")) == D("0.00")
    assert points_from_value(LINEAR, float("nan"), D("5")) == D("0.00")


def test_per_unit_deduct_until_nothing_left():
    f = {"kind": "per_unit", "points": 0.5, "direction": "deduct"}
    assert points_from_value(f, 0, D("2")) == D("2.00")
    assert points_from_value(f, 1, D("2")) == D("1.50")
    assert points_from_value(f, 4, D("2")) == D("0.00")
    assert points_from_value(f, 9, D("2")) == D("0.00")
    # default direction is deduct; a negative count counts as none
    assert points_from_value({"kind": "per_unit", "points": 0.5}, 3, D("2")) == D("0.50")
    assert points_from_value(f, -3, D("2")) == D("2.00")


def test_per_unit_add_up_to_max():
    f = {"kind": "per_unit", "points": 0.3, "direction": "add"}
    assert points_from_value(f, 0, D("1")) == D("0.00")
    assert points_from_value(f, 2, D("1")) == D("0.60")
    assert points_from_value(f, 4, D("1")) == D("1.00")


def test_quantised_half_up_to_cents():
    f = {"kind": "linear", "zero_at": 0, "full_at": 3}
    assert points_from_value(f, 1, D("1")) == D("0.33")
    assert points_from_value(f, 2, D("1")) == D("0.67")
    assert points_from_value(f, 1, D("1")).as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("x", "计分公式应为对象"),
        ({}, "计分公式类型“None”无效"),
        ({"kind": "curve"}, "计分公式类型“curve”无效"),
        ({"kind": "linear", "full_at": 100}, "线性折算缺少得零分的值 zero_at"),
        ({"kind": "linear", "zero_at": "a", "full_at": 100}, "zero_at，或不是数字"),
        ({"kind": "linear", "zero_at": 5, "full_at": 5}, "zero_at 与 full_at 不能相等"),
        ({"kind": "linear", "zero_at": True, "full_at": 5}, "zero_at，或不是数字"),
        ({"kind": "steps"}, "分档计分至少需要一档"),
        ({"kind": "steps", "steps": []}, "分档计分至少需要一档"),
        ({"kind": "steps", "steps": [[90]]}, "第1档应为 [阈值, 得分比例] 两个数字"),
        ({"kind": "steps", "steps": [[90, 1], [80, 1.5]]}, "第2档的得分比例 1.5 应在 0 至 1 之间"),
        ({"kind": "steps", "steps": [[90, 1], [90, 0.5]]}, "第2档的阈值 90 重复"),
        ({"kind": "steps", "steps": [[90, 0.5], [80, 1]]}, "得分比例应随指标变差而不增加"),
        ({"kind": "steps", "steps": [[1, 1]], "lower_is_better": "yes"}, "lower_is_better 应为"),
        ({"kind": "per_unit"}, "每次分值 points 应为大于 0 的数字"),
        ({"kind": "per_unit", "points": 0}, "每次分值 points 应为大于 0 的数字"),
        ({"kind": "per_unit", "points": 1, "direction": "up"}, "方向 direction 应为 add"),
    ],
)
def test_invalid_formulas_give_precise_messages(formula, message):
    with pytest.raises(ValidationError) as info:
        validate_formula(formula)
    assert any(message in m for m in info.value.messages), info.value.messages
    with pytest.raises(ValidationError):
        points_from_value(formula, 1, D("1"))


def test_valid_formulas_pass():
    for formula in (LINEAR, STEPS, LOWER, {"kind": "per_unit", "points": 1, "direction": "add"}):
        validate_formula(formula)


def test_parse_and_describe():
    assert parse_formula("") == {}
    assert parse_formula('{"kind": "linear", "zero_at": 0, "full_at": 1}')["full_at"] == 1
    with pytest.raises(ValidationError, match="不是有效的 JSON"):
        parse_formula("{kind")
    assert describe(LINEAR, "%") == "指标 60% 得 0 分，100% 得满分，其间按比例折算"
    assert describe(STEPS, "%").startswith("分档：≥95% 得100%；≥85% 得80%")
    assert "≤0 得100%" in describe(LOWER)
    assert describe({"kind": "per_unit", "points": 0.5}) == "每次扣 0.5 分，扣完为止"
    assert (
        describe({"kind": "per_unit", "points": 1, "direction": "add"}) == "每次加 1 分，加满为止"
    )
    assert describe({}) == ""
    assert describe({"kind": "x"}) == "（计分公式无效）"
