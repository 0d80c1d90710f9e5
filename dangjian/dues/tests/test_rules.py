"""Dues rules at their boundaries: brackets (inclusive upper bounds), retirees at 5000, fixed
amounts, rounding to the fen half up, parsing money without floats."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from dangjian.dues.models import DuesBracket, MemberCategory
from dangjian.dues.money import MoneyError, fmt_fen, parse_yuan, percent_of
from dangjian.dues.rules import compute_amount

pytestmark = pytest.mark.django_db


def monthly(category: str, yuan: str) -> tuple[Decimal | None, int]:
    amount = compute_amount(
        MemberCategory.objects.get(code=category), components={"post_wage": parse_yuan(yuan)}
    )
    return amount.rate, amount.monthly_fen


@pytest.mark.parametrize(
    ("base", "rate", "fen"),
    [
        ("0", "0.0050", 0),
        ("2999.99", "0.0050", 1500),  # 1499.995 fen rounds half up
        ("3000", "0.0050", 1500),  # upper bound inclusive
        ("3000.01", "0.0100", 3000),  # 3000.01 fen rounds down
        ("4999.99", "0.0100", 5000),
        ("5000", "0.0100", 5000),
        ("5000.01", "0.0150", 7500),
        ("10000", "0.0150", 15000),
        ("10000.01", "0.0200", 20000),
        ("25000", "0.0200", 50000),
    ],
)
def test_wage_brackets_at_every_boundary(base, rate, fen):
    assert monthly("wage", base) == (Decimal(rate), fen)


def test_annual_salary_uses_the_same_brackets():
    assert monthly("annual_salary", "10000") == (Decimal("0.0150"), 15000)
    assert monthly("annual_salary", "10000.01") == (Decimal("0.0200"), 20000)


@pytest.mark.parametrize(
    ("pension", "rate", "fen"),
    [("4999.99", "0.0050", 2500), ("5000", "0.0050", 2500), ("5000.01", "0.0100", 5000)],
)
def test_retiree_brackets_at_5000(pension, rate, fen):
    amount = compute_amount(
        MemberCategory.objects.get(code="retiree"), components={"pension": parse_yuan(pension)}
    )
    assert (amount.rate, amount.monthly_fen) == (Decimal(rate), fen)


def test_base_is_after_tax_deductions_are_subtracted_and_other_schemes_ignored():
    amount = compute_amount(
        MemberCategory.objects.get(code="wage"),
        components={
            "post_wage": 400000,
            "performance": 150000,
            "income_tax": 20000,
            "housing_fund": 30000,
            "pension": 999999,  # a retiree component: not part of a wage earner's base
        },
    )
    assert amount.base_fen == 500000  # 5500 - 200 - 300 = 5000.00 → still 1%
    assert amount.rate == Decimal("0.0100")
    assert amount.monthly_fen == 5000


def test_fixed_categories():
    student = MemberCategory.objects.get(code="student")
    assert compute_amount(student).monthly_fen == 20
    with pytest.raises(ValidationError):
        compute_amount(student, fixed_fen=30)
    farmer = MemberCategory.objects.get(code="farmer")
    assert compute_amount(farmer, fixed_fen=20).monthly_fen == 20
    assert compute_amount(farmer, fixed_fen=100).monthly_fen == 100
    for bad in (19, 101):
        with pytest.raises(ValidationError) as exc:
            compute_amount(farmer, fixed_fen=bad)
        assert "0.20–1.00 元" in str(exc.value)


def test_brackets_are_data_an_edited_rate_applies():
    DuesBracket.objects.filter(scheme="wage", upper_fen=300000).update(rate=Decimal("0.0060"))
    assert monthly("wage", "3000") == (Decimal("0.0060"), 1800)


def test_seeded_rules_carry_their_source():
    assert DuesBracket.objects.count() == 6
    assert all("党费收缴" in b.source for b in DuesBracket.objects.all())
    assert MemberCategory.objects.filter(kind="fixed").count() == 4


@pytest.mark.parametrize(
    ("text", "fen"),
    [("0", 0), ("0.2", 20), ("3000.01", 300001), ("1,000", 100000), (" 12.30 ", 1230)],
)
def test_parse_yuan(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["", "abc", "-1", "1.001", "NaN", "Infinity", "1e20"])
def test_parse_yuan_refuses(text):
    with pytest.raises(MoneyError):
        parse_yuan(text)


def test_parse_yuan_refuses_floats():
    with pytest.raises(MoneyError):
        parse_yuan(0.1)  # type: ignore[arg-type]


def test_fen_arithmetic_and_rounding():
    assert fmt_fen(300001) == "3000.01"
    assert fmt_fen(5) == "0.05"
    assert percent_of(299999, Decimal("0.005")) == 1500  # 1499.995 → 1500 (half up)
    assert percent_of(299899, Decimal("0.005")) == 1499  # 1499.495 → 1499
    # ten members at 0.1 元: no float drift
    assert sum(parse_yuan("0.1") for _ in range(10)) == parse_yuan("1")
