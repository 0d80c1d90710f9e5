"""Party dues (党费): rule tables, yearly assessment (年初核定), monthly bills, payments.

Money is integer fen (分) everywhere, never float. A monthly amount is ``base × rate`` rounded
to the fen, half up (``dangjian.dues.money.percent_of``). Rule tables (member categories,
income components, brackets) are seeded by migration 0002 from RULES.md with their source and
edited by authorised users; code never holds a rate or a bound.

Months are also kept as ``month_index = year × 12 + month − 1`` so that "months back" and
"paid up to" are plain integer arithmetic in SQL.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dangjian.core.scope import ScopeSpec
from dangjian.orgs.models import PartyOrg
from dangjian.people.models import Person

# Rule tables are global configuration, not records of an organisation: who may read or edit
# them is a permission (has_permission), not a row scope. They still declare an (empty) scope.
GLOBAL = ScopeSpec()


def month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def month_of(index: int) -> tuple[int, int]:
    return index // 12, index % 12 + 1


def month_label(index: int | None) -> str:
    if index is None:
        return "—"
    year, month = month_of(index)
    return f"{year}年{month}月"


class BracketScheme(models.TextChoices):
    WAGE = "wage", "在岗职工（工资收入）"
    RETIREE = "retiree", "离退休人员（养老金）"


class MemberCategory(models.Model):
    """Who pays how: by bracket scheme on a base, or a fixed amount within [min, max]."""

    class Kind(models.TextChoices):
        BRACKET = "bracket", "按基数和比例"
        FIXED = "fixed", "固定金额"

    code = models.CharField("代码", max_length=30, unique=True)
    name = models.CharField("党员类别", max_length=60)
    kind = models.CharField("计算方式", max_length=10, choices=Kind.choices)
    scheme = models.CharField("比例档次", max_length=10, choices=BracketScheme.choices, blank=True)
    fixed_min_fen = models.PositiveIntegerField("固定金额下限(分)", default=0)
    fixed_max_fen = models.PositiveIntegerField("固定金额上限(分)", default=0)
    base_note = models.CharField("基数说明", max_length=120, blank=True)
    source = models.CharField("依据", max_length=300, blank=True)
    sort_order = models.PositiveIntegerField("排序", default=0)
    active = models.BooleanField("启用", default=True)

    scope = GLOBAL

    class Meta:
        verbose_name = "党员交费类别"
        verbose_name_plural = "党员交费类别"
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class IncomeComponent(models.Model):
    """One line of the monthly base: added (wage items, pension) or deducted (tax, insurance)."""

    code = models.CharField("代码", max_length=30, unique=True)
    name = models.CharField("收入项目", max_length=60)
    sign = models.SmallIntegerField("计入方式", choices=[(1, "计入"), (-1, "扣除")], default=1)
    schemes = models.CharField(
        "适用档次", max_length=40, default="wage", help_text="逗号分隔：wage, retiree"
    )
    source = models.CharField("依据", max_length=300, blank=True)
    sort_order = models.PositiveIntegerField("排序", default=0)
    active = models.BooleanField("启用", default=True)

    scope = GLOBAL

    class Meta:
        verbose_name = "党费基数收入项目"
        verbose_name_plural = "党费基数收入项目"
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name

    def applies_to(self, scheme: str) -> bool:
        return scheme in {s.strip() for s in self.schemes.split(",")}


class DuesBracket(models.Model):
    """Rate for a base up to and INCLUDING ``upper_fen``; the open top bracket has none."""

    scheme = models.CharField("比例档次", max_length=10, choices=BracketScheme.choices)
    upper_fen = models.PositiveBigIntegerField("月基数上限(分，含)", null=True, blank=True)
    rate = models.DecimalField("交纳比例", max_digits=6, decimal_places=4)
    source = models.CharField("依据", max_length=300, blank=True)

    scope = GLOBAL

    class Meta:
        verbose_name = "党费比例档次"
        verbose_name_plural = "党费比例档次"
        ordering = ["scheme", models.F("upper_fen").asc(nulls_last=True)]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "upper_fen"], name="dues_bracket_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_scheme_display()} ≤{self.upper_fen} {self.rate}"


class DuesAssessment(models.Model):
    """年初核定: a member's category, base and monthly amount for one year."""

    person = models.ForeignKey(
        Person, verbose_name="党员", on_delete=models.PROTECT, related_name="dues_assessments"
    )
    party_org = models.ForeignKey(
        PartyOrg, verbose_name="党组织", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    category = models.ForeignKey(
        MemberCategory, verbose_name="党员类别", on_delete=models.PROTECT, related_name="+"
    )
    components = models.JSONField("收入项目(分)", default=dict, blank=True)
    base_fen = models.BigIntegerField("月基数(分)", default=0)
    rate = models.DecimalField("比例", max_digits=6, decimal_places=4, null=True, blank=True)
    monthly_fen = models.PositiveIntegerField("月交纳额(分)")
    note = models.CharField("备注", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope = ScopeSpec(org_path="party_org__path", person="person_id")

    class Meta:
        verbose_name = "党费年度核定"
        verbose_name_plural = "党费年度核定"
        ordering = ["-year", "person__employee_no"]
        constraints = [
            models.UniqueConstraint(fields=["person", "year"], name="dues_assessment_person_year")
        ]
        indexes = [models.Index(fields=["party_org", "year"], name="dues_assess_org_year")]
        permissions = [("export_duesassessment", "导出党费核定")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.year}"


class DuesChange(models.Model):
    """A wage change during the year: the new amount applies from ``effective_month``."""

    assessment = models.ForeignKey(DuesAssessment, on_delete=models.CASCADE, related_name="changes")
    effective_month = models.PositiveSmallIntegerField("起始月份")
    components = models.JSONField("收入项目(分)", default=dict, blank=True)
    base_fen = models.BigIntegerField("月基数(分)", default=0)
    rate = models.DecimalField("比例", max_digits=6, decimal_places=4, null=True, blank=True)
    monthly_fen = models.PositiveIntegerField("月交纳额(分)")
    reason = models.CharField("变动原因", max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeSpec(org_path="assessment__party_org__path", person="assessment__person_id")

    class Meta:
        verbose_name = "党费基数变动"
        verbose_name_plural = "党费基数变动"
        ordering = ["effective_month", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "effective_month"], name="dues_change_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id} {self.effective_month}月起"


class DuesPayment(models.Model):
    """One payment covering whole monthly bills, plus an optional voluntary amount."""

    class Kind(models.TextChoices):
        MONTHLY = "monthly", "按月交纳"
        QUARTERLY = "quarterly", "按季交纳（经批准）"
        MAKEUP = "makeup", "补交"

    person = models.ForeignKey(
        Person, verbose_name="党员", on_delete=models.PROTECT, related_name="dues_payments"
    )
    party_org = models.ForeignKey(
        PartyOrg, verbose_name="收缴党组织", on_delete=models.PROTECT, related_name="+"
    )
    paid_on = models.DateField("交纳日期", db_index=True)
    kind = models.CharField("交纳方式", max_length=10, choices=Kind.choices)
    bills_fen = models.PositiveBigIntegerField("应交党费(分)", default=0)
    voluntary_fen = models.PositiveBigIntegerField("自愿多交(分)", default=0)
    amount_fen = models.PositiveBigIntegerField("合计(分)", default=0)
    to_centre = models.BooleanField("全额上缴中央", default=False)
    is_proxy = models.BooleanField("代交", default=False)
    payer_name = models.CharField("代交人", max_length=40, blank=True)
    payer_person = models.ForeignKey(
        Person,
        verbose_name="代交人(人员)",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approval_note = models.CharField("批准情况", max_length=200, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeSpec(org_path="party_org__path", person="person_id")

    class Meta:
        verbose_name = "党费交纳记录"
        verbose_name_plural = "党费交纳记录"
        ordering = ["-paid_on", "-id"]
        indexes = [models.Index(fields=["party_org", "paid_on"], name="dues_pay_org_date")]
        permissions = [("export_duespayment", "导出党费交纳记录")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.paid_on} {self.amount_fen}分"


class DuesBill(models.Model):
    """One member's dues for one month (generated idempotently; settled by one payment)."""

    class Status(models.TextChoices):
        UNPAID = "unpaid", "未交"
        PAID = "paid", "已交"

    person = models.ForeignKey(
        Person, verbose_name="党员", on_delete=models.PROTECT, related_name="dues_bills"
    )
    party_org = models.ForeignKey(
        PartyOrg, verbose_name="党组织", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    month = models.PositiveSmallIntegerField("月份")
    month_index = models.PositiveIntegerField("月序", db_index=True)
    amount_fen = models.PositiveIntegerField("应交(分)")
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.UNPAID)
    paid_on = models.DateField("交纳日期", null=True, blank=True)
    payment = models.ForeignKey(
        DuesPayment, null=True, blank=True, on_delete=models.SET_NULL, related_name="bills"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeSpec(org_path="party_org__path", person="person_id")

    class Meta:
        verbose_name = "党费月度账单"
        verbose_name_plural = "党费月度账单"
        ordering = ["-month_index", "person__employee_no"]
        constraints = [
            models.UniqueConstraint(fields=["person", "month_index"], name="dues_bill_person_month")
        ]
        indexes = [
            models.Index(fields=["party_org", "month_index"], name="dues_bill_org_month"),
            models.Index(fields=["status", "month_index"], name="dues_bill_status_month"),
        ]
        permissions = [("export_duesbill", "导出党费账单")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.label}"

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"


class DuesExpense(models.Model):
    """Money out of a branch's dues: remitted upward (上缴) or spent (使用), for disclosure."""

    class Kind(models.TextChoices):
        REMIT = "remit", "上缴上级党委"
        SPEND = "spend", "使用"

    party_org = models.ForeignKey(
        PartyOrg, verbose_name="党组织", on_delete=models.PROTECT, related_name="+"
    )
    spent_on = models.DateField("日期", db_index=True)
    kind = models.CharField("类型", max_length=8, choices=Kind.choices)
    amount_fen = models.PositiveBigIntegerField("金额(分)")
    purpose = models.CharField("用途/说明", max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeSpec(org_path="party_org__path")

    class Meta:
        verbose_name = "党费支出"
        verbose_name_plural = "党费支出"
        ordering = ["-spent_on", "-id"]

    def __str__(self) -> str:
        return f"{self.party_org_id} {self.spent_on} {self.amount_fen}分"
