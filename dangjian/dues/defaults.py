"""RULES.md "Dues" defaults for the rule tables, with their source (seeded by migration 0002)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

SOURCE = "《关于中国共产党党费收缴、使用和管理的规定》（中组发〔2008〕3号）"

# code, name, kind, scheme, fixed min fen, fixed max fen, base note
CATEGORIES = [
    ("wage", "在岗职工", "bracket", "wage", 0, 0, "每月工资收入（税后），按收入项目核定"),
    ("annual_salary", "实行年薪制人员", "bracket", "wage", 0, 0, "当月实际领取的薪酬"),
    ("retiree", "离退休人员", "bracket", "retiree", 0, 0, "基本离退休费"),
    ("student", "学生党员", "fixed", "", 20, 20, ""),
    ("unemployed", "下岗失业党员", "fixed", "", 20, 20, ""),
    ("relief", "依靠抚恤或救济生活的党员", "fixed", "", 20, 20, ""),
    ("farmer", "农民党员", "fixed", "", 20, 100, "每月0.2元至1元"),
]

# code, name, sign, schemes
COMPONENTS = [
    ("post_wage", "岗位工资", 1, "wage"),
    ("grade_wage", "薪级工资", 1, "wage"),
    ("performance", "绩效工资", 1, "wage"),
    ("allowance", "津贴补贴", 1, "wage"),
    ("pension", "基本离退休费", 1, "retiree"),
    ("income_tax", "个人所得税", -1, "wage"),
    ("pension_insurance", "养老保险（个人）", -1, "wage"),
    ("medical_insurance", "医疗保险（个人）", -1, "wage"),
    ("unemployment_insurance", "失业保险（个人）", -1, "wage"),
    ("housing_fund", "住房公积金（个人）", -1, "wage"),
    ("annuity", "职业年金/企业年金（个人）", -1, "wage"),
]

# scheme, inclusive upper bound in fen (None = open), rate
BRACKETS = [
    ("wage", 300000, Decimal("0.0050")),
    ("wage", 500000, Decimal("0.0100")),
    ("wage", 1000000, Decimal("0.0150")),
    ("wage", None, Decimal("0.0200")),
    ("retiree", 500000, Decimal("0.0050")),
    ("retiree", None, Decimal("0.0100")),
]


def seed(apps: Any) -> None:
    """Insert missing rows (never overwrite what authorised users edited)."""
    category = apps.get_model("dues", "MemberCategory")
    component = apps.get_model("dues", "IncomeComponent")
    bracket = apps.get_model("dues", "DuesBracket")
    for order, (code, name, kind, scheme, low, high, note) in enumerate(CATEGORIES):
        category.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "scheme": scheme,
                "fixed_min_fen": low,
                "fixed_max_fen": high,
                "base_note": note,
                "source": SOURCE,
                "sort_order": order,
            },
        )
    for order, (code, name, sign, schemes) in enumerate(COMPONENTS):
        component.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "sign": sign,
                "schemes": schemes,
                "source": SOURCE + "第一条（税后工资收入）",
                "sort_order": order,
            },
        )
    if not bracket.objects.exists():
        bracket.objects.bulk_create(
            [
                bracket(scheme=s, upper_fen=u, rate=r, source=SOURCE + "第一条")
                for s, u, r in BRACKETS
            ]
        )
