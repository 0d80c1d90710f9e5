"""API: dues (``/api/v1/dues/``): bills, payments (list, create), arrears, roll-ups.

Reads go through ``dues.selectors`` (scoped), writes through ``dues.services`` (validated, one
transaction, scope re-check, audit). Money is integer fen (``*_fen``) in and out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from dangjian.core.api_auth import MAX_ID, READ_ERRORS, PageParams, Text, error_responses, paginate
from dangjian.core.scope import has_permission, restrict
from dangjian.dues import selectors, services
from dangjian.dues.models import DuesBill, DuesPayment
from dangjian.orgs.models import PartyOrg

router = Router(tags=["党费"])


def _require(user: Any, model: type, action: str) -> None:
    if not has_permission(user, model, action):
        raise PermissionDenied("您没有执行此操作的权限。")


class BillOut(Schema):
    id: int
    person_id: int
    person_name: str
    party_org_id: int
    year: int
    month: int
    amount_fen: int
    status: Literal["paid", "unpaid"]
    paid_on: dt.date | None
    payment_id: int | None

    @staticmethod
    def resolve_person_name(obj: DuesBill) -> str:
        return obj.person.name


class BillPage(Schema):
    items: list[BillOut]
    count: int


class BillFilters(PageParams):
    q: Text = Field("", max_length=50, description="姓名或工号")
    org: int | None = Field(None, ge=1, le=MAX_ID, description="党组织ID（含下级）")
    year: int | None = Field(None, ge=2000, le=2100)
    month: int | None = Field(None, ge=1, le=12)
    status: Literal["paid", "unpaid"] | None = None
    person: int | None = Field(None, ge=1, le=MAX_ID)


@router.get("/bills", response={200: BillPage, **error_responses(*READ_ERRORS)}, summary="党费账单")
def list_bills(request: HttpRequest, filters: Query[BillFilters]) -> dict[str, Any]:
    user = request.auth  # type: ignore[attr-defined]
    _require(user, DuesBill, "view")
    qs = selectors.bill_list(
        user=user,
        q=filters.q,
        org=filters.org,
        year=filters.year,
        month=filters.month,
        status=filters.status or "",
        person=filters.person,
    )
    return paginate(qs.order_by("-month_index", "person__employee_no", "pk"), filters)


class PaymentOut(Schema):
    id: int
    person_id: int
    person_name: str
    party_org_id: int
    paid_on: dt.date
    kind: str
    bills_fen: int
    voluntary_fen: int
    amount_fen: int
    to_centre: bool
    is_proxy: bool
    payer_name: str
    approval_note: str

    @staticmethod
    def resolve_person_name(obj: DuesPayment) -> str:
        return obj.person.name


class PaymentPage(Schema):
    items: list[PaymentOut]
    count: int


class PaymentFilters(PageParams):
    q: Text = Field("", max_length=50)
    org: int | None = Field(None, ge=1, le=MAX_ID)
    year: int | None = Field(None, ge=2000, le=2100)
    person: int | None = Field(None, ge=1, le=MAX_ID)


class PaymentIn(Schema):
    person: int = Field(ge=1, le=MAX_ID, description="党员ID")
    months: list[str] = Field(max_length=24, description="所交月份 YYYY-MM（按季、补交可多个）")
    paid_on: dt.date
    kind: Literal["monthly", "quarterly", "makeup"]
    is_proxy: bool = False
    payer_name: Text = Field("", max_length=40)
    approval_note: Text = Field("", max_length=200)
    voluntary_fen: int = Field(0, ge=0, le=10**12)
    note: Text = Field("", max_length=200)


@router.get(
    "/payments", response={200: PaymentPage, **error_responses(*READ_ERRORS)}, summary="交纳记录"
)
def list_payments(request: HttpRequest, filters: Query[PaymentFilters]) -> dict[str, Any]:
    user = request.auth  # type: ignore[attr-defined]
    _require(user, DuesPayment, "view")
    qs = selectors.payment_list(
        user=user, q=filters.q, org=filters.org, year=filters.year, person=filters.person
    )
    return paginate(qs.order_by("-paid_on", "-pk"), filters)


def _month(text: str) -> int:
    from django.core.exceptions import ValidationError

    try:
        year, month = (int(part) for part in text.split("-"))
        if not (2000 <= year <= 2100 and 1 <= month <= 12):
            raise ValueError
    except ValueError as exc:
        raise ValidationError({"months": [f"月份格式应为 YYYY-MM：{text[:10]}"]}) from exc
    return year * 12 + month - 1


@router.post(
    "/payments",
    response={201: PaymentOut, **error_responses(401, 403, 404, 422, 429)},
    summary="登记交纳（含代交、按季、补交）",
)
def create_payment(request: HttpRequest, payload: PaymentIn) -> Status[DuesPayment]:
    user = request.auth  # type: ignore[attr-defined]
    _require(user, DuesPayment, "add")
    if selectors.person_for_dues(user=user, pk=payload.person) is None:
        raise Http404
    payment = services.payment_record(
        actor=user,
        person_id=payload.person,
        months=[_month(m) for m in payload.months],
        paid_on=payload.paid_on,
        kind=payload.kind,
        is_proxy=payload.is_proxy,
        payer_name=payload.payer_name,
        approval_note=payload.approval_note,
        voluntary_fen=payload.voluntary_fen,
        note=payload.note,
    )
    found = selectors.payment_get(user=user, pk=payment.pk)
    if found is None:
        raise Http404
    return Status(201, found)


class ArrearsOut(Schema):
    person_id: int
    person_name: str
    employee_no: str
    party_org_id: int
    party_org_name: str
    months: int
    amount_fen: int
    first_month: str


class ArrearsPage(Schema):
    items: list[ArrearsOut]
    count: int


class ArrearsFilters(PageParams):
    q: Text = Field("", max_length=50)
    org: int | None = Field(None, ge=1, le=MAX_ID)
    min_months: int = Field(1, ge=1, le=120)


@router.get(
    "/arrears", response={200: ArrearsPage, **error_responses(*READ_ERRORS)}, summary="欠缴名单"
)
def list_arrears(request: HttpRequest, filters: Query[ArrearsFilters]) -> dict[str, Any]:
    user = request.auth  # type: ignore[attr-defined]
    _require(user, DuesBill, "export")
    qs = selectors.arrears_list(
        user=user, q=filters.q, org=filters.org, min_months=filters.min_months
    )
    page = paginate(qs, filters)
    page["items"] = [
        {
            "person_id": r["person_id"],
            "person_name": r["person__name"],
            "employee_no": r["person__employee_no"],
            "party_org_id": r["party_org_id"],
            "party_org_name": r["party_org__name"],
            "months": r["months"],
            "amount_fen": r["amount_fen"],
            "first_month": f"{r['first_month'] // 12}-{r['first_month'] % 12 + 1:02d}",
        }
        for r in page["items"]
    ]
    return page


class RollupRowOut(Schema):
    org_id: int | None
    label: str
    due_fen: int
    paid_fen: int
    unpaid_fen: int
    persons: int
    persons_unpaid: int


class RollupOut(Schema):
    org_id: int
    year: int
    month: int | None
    rows: list[RollupRowOut]
    total: RollupRowOut


class RollupFilters(Schema):
    org: int | None = Field(None, ge=1, le=MAX_ID, description="上级党组织ID（默认最高可见组织）")
    year: int = Field(..., ge=2000, le=2100)
    month: int | None = Field(None, ge=1, le=12)


def _row(r: selectors.RollupRow) -> dict[str, Any]:
    return {
        "org_id": r.org.pk if r.org else None,
        "label": r.label,
        "due_fen": r.due_fen,
        "paid_fen": r.paid_fen,
        "unpaid_fen": r.unpaid_fen,
        "persons": r.persons,
        "persons_unpaid": r.persons_unpaid,
    }


@router.get(
    "/rollups",
    response={200: RollupOut, **error_responses(401, 403, 404, 422, 429)},
    summary="按组织汇总（应交/已交/未交）",
)
def get_rollup(request: HttpRequest, filters: Query[RollupFilters]) -> dict[str, Any]:
    user = request.auth  # type: ignore[attr-defined]
    _require(user, DuesBill, "export")
    if filters.org:
        parent = restrict(PartyOrg.objects.all(), user, "view").filter(pk=filters.org).first()
    else:
        parent = selectors.rollup_root(user)
    if parent is None:
        raise Http404
    result = selectors.rollup(user=user, parent=parent, year=filters.year, month=filters.month)
    return {
        "org_id": parent.pk,
        "year": filters.year,
        "month": filters.month,
        "rows": [_row(r) for r in result.rows],
        "total": _row(result.total),
    }
