"""Excel exports of every dues table (``dangjian.core.exports``), each from the scoped selector
of the job's owner with the list page's filters, so a file never holds more than its owner sees.
Money is written in 元 as text with two decimals (exact, no float)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models

from dangjian.core.exports import register_export
from dangjian.core.scope import restrict
from dangjian.dues import selectors
from dangjian.dues.models import DuesAssessment, DuesBill, DuesPayment, month_label
from dangjian.dues.money import fmt_fen
from dangjian.orgs.models import PartyOrg

PARAMS = ("q", "org", "year", "month", "status", "kind", "min_months", "missing")


@dataclass(frozen=True)
class ExportSpec:
    key: str
    title: str
    model: type[models.Model]


EXPORTS = {
    "assessments": ExportSpec("dues.assessments", "党费年度核定", DuesAssessment),
    "bills": ExportSpec("dues.bills", "党费月度账单", DuesBill),
    "payments": ExportSpec("dues.payments", "党费交纳记录", DuesPayment),
    "arrears": ExportSpec("dues.arrears", "党费欠缴名单", DuesBill),
    "rollup": ExportSpec("dues.rollup", "党费收缴汇总", DuesBill),
    "disclosure": ExportSpec("dues.disclosure", "党费收支公开", DuesPayment),
}


def export_params(query: Mapping[str, Any]) -> dict[str, Any]:
    return {k: str(query.get(k))[:100] for k in PARAMS if query.get(k) not in (None, "")}


Rows = tuple[list[str], Iterable[Iterable[Any]]]


@register_export("dues.assessments", "党费年度核定")
def export_assessments(user: Any, params: dict[str, Any]) -> Rows:
    filters = selectors.list_filters(params)
    qs = selectors.assessment_list(user=user, action="export", **filters).order_by(
        "party_org__path", "person__employee_no"
    )

    def rows() -> Iterator[list[Any]]:
        for a in qs.iterator(chunk_size=2000):
            yield [
                a.year,
                a.person.employee_no,
                a.person.name,
                a.party_org.name,
                a.category.name,
                fmt_fen(a.base_fen),
                f"{a.rate * 100:.2f}%" if a.rate is not None else "固定",
                fmt_fen(a.monthly_fen),
                a.note,
            ]

    headers = [
        "年度",
        "工号",
        "姓名",
        "党组织",
        "党员类别",
        "月基数(元)",
        "比例",
        "月交纳额(元)",
        "备注",
    ]
    return headers, rows()


@register_export("dues.bills", "党费月度账单")
def export_bills(user: Any, params: dict[str, Any]) -> Rows:
    filters = selectors.list_filters(params)
    qs = selectors.bill_list(user=user, action="export", **filters).order_by(
        "month_index", "party_org__path", "person__employee_no"
    )

    def rows() -> Iterator[list[Any]]:
        for b in qs.iterator(chunk_size=2000):
            yield [
                b.label,
                b.person.employee_no,
                b.person.name,
                b.party_org.name,
                fmt_fen(b.amount_fen),
                b.get_status_display(),
                b.paid_on,
            ]

    return ["月份", "工号", "姓名", "党组织", "应交(元)", "状态", "交纳日期"], rows()


@register_export("dues.payments", "党费交纳记录")
def export_payments(user: Any, params: dict[str, Any]) -> Rows:
    filters = selectors.list_filters(params)
    qs = (
        selectors.payment_list(user=user, action="export", **filters)
        .prefetch_related("bills")
        .order_by("paid_on", "pk")
    )

    def rows() -> Iterator[list[Any]]:
        for p in qs.iterator(chunk_size=2000):
            months = "、".join(b.label for b in sorted(p.bills.all(), key=lambda b: b.month_index))
            yield [
                p.paid_on,
                p.person.employee_no,
                p.person.name,
                p.party_org.name,
                p.get_kind_display(),
                months,
                fmt_fen(p.bills_fen),
                fmt_fen(p.voluntary_fen),
                fmt_fen(p.amount_fen),
                "是" if p.to_centre else "否",
                p.payer_name if p.is_proxy else "",
                p.approval_note,
            ]

    headers = [
        "交纳日期",
        "工号",
        "姓名",
        "党组织",
        "交纳方式",
        "所交月份",
        "应交党费(元)",
        "自愿多交(元)",
        "合计(元)",
        "全额上缴中央",
        "代交人",
        "批准情况",
    ]
    return headers, rows()


@register_export("dues.arrears", "党费欠缴名单")
def export_arrears(user: Any, params: dict[str, Any]) -> Rows:
    filters = selectors.list_filters(params)
    min_months = int(params.get("min_months") or 1)
    qs = selectors.arrears_list(
        user=user, min_months=min_months, q=filters["q"], org=filters["org"]
    )
    rows = list(qs)
    paid_up = selectors.paid_up_months([r["person_id"] for r in rows])
    data = [
        [
            r["person__employee_no"],
            r["person__name"],
            r["party_org__name"],
            r["months"],
            fmt_fen(r["amount_fen"]),
            month_label(r["first_month"]),
            month_label(paid_up.get(r["person_id"])),
        ]
        for r in rows
    ]
    return ["工号", "姓名", "党组织", "欠缴月数", "欠缴金额(元)", "最早欠缴月份", "党费交至"], data


def _org(user: Any, params: Mapping[str, Any]) -> PartyOrg | None:
    filters = selectors.list_filters(params)
    orgs = restrict(PartyOrg.objects.all(), user, "view")
    if filters["org"]:
        return orgs.filter(pk=filters["org"]).first()
    return selectors.rollup_root(user)


@register_export("dues.rollup", "党费收缴汇总")
def export_rollup(user: Any, params: dict[str, Any]) -> Rows:
    filters = selectors.list_filters(params)
    org = _org(user, params)
    headers = ["党组织", "应交人数", "未交清人数", "应交(元)", "已交(元)", "未交(元)", "收缴率%"]
    if org is None:
        return headers, []
    result = selectors.rollup(user=user, parent=org, year=filters["year"], month=filters["month"])
    lines = [*result.rows, result.total]
    return headers, [
        [
            r.label,
            r.persons,
            r.persons_unpaid,
            fmt_fen(r.due_fen),
            fmt_fen(r.paid_fen),
            fmt_fen(r.unpaid_fen),
            r.rate,
        ]
        for r in lines
    ]


@register_export("dues.disclosure", "党费收支公开")
def export_disclosure(user: Any, params: dict[str, Any]) -> Rows:
    filters = selectors.list_filters(params)
    orgs = selectors.disclosure_orgs(user=user)
    org = (
        orgs.filter(pk=filters["org"]).first() if filters["org"] else orgs.order_by("path").first()
    )
    headers = ["项目", "金额(元)"]
    if org is None:
        return headers, []
    r = selectors.disclosure(user=user, org=org, year=filters["year"])
    data: list[list[Any]] = [
        [f"{org.name} {r.year} 年党费收支公开", ""],
        ["上年结余", fmt_fen(r.opening_fen)],
        ["本年收缴", fmt_fen(r.collected_fen)],
        ["其中：自愿多交", fmt_fen(r.voluntary_fen)],
        ["其中：全额上缴中央", fmt_fen(r.to_centre_fen)],
        ["本年上缴上级党委", fmt_fen(r.remitted_fen)],
        ["本年使用", fmt_fen(r.spent_fen)],
        ["年末结余", fmt_fen(r.closing_fen)],
    ]
    data += [[f"{m}月 收缴/支出", f"{fmt_fen(c)} / {fmt_fen(u)}"] for m, c, u in r.months]
    data += [
        [f"{e.spent_on} {e.get_kind_display()}：{e.purpose}", fmt_fen(e.amount_fen)]
        for e in r.expenses
    ]
    return headers, data
