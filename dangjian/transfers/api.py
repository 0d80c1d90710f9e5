"""API: transfers of Party relationship (``/api/v1/transfers/``), same scope as the pages.

No permission → 403; a transfer (or organisation) outside the caller's scope → 404; a step in
the wrong state or bad input → 422 with field errors.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status

from dangjian.core.api_auth import (
    DETAIL_ERRORS,
    MAX_ID,
    READ_ERRORS,
    PageParams,
    Text,
    error_responses,
    paginate,
)
from dangjian.core.scope import has_permission
from dangjian.orgs.models import PartyOrg
from dangjian.transfers import selectors, services
from dangjian.transfers.models import Transfer

router = Router(tags=["组织关系转接"])
WRITE_ERRORS = (401, 403, 404, 422, 429)


class TransferOut(Schema):
    id: int
    kind: str
    status: str
    status_name: str
    person_id: int
    person_name: str
    from_org_id: int | None
    to_org_id: int | None
    to_group_id: int | None
    external_org: str
    cross_province: bool
    letter_no: str
    issued_on: dt.date | None
    valid_until: dt.date | None
    paid_up_to: dt.date | None
    receipt_on: dt.date | None
    completed_on: dt.date | None
    reason: str

    @staticmethod
    def resolve_status_name(obj: Transfer) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_person_name(obj: Transfer) -> str:
        return obj.person.name


class TransferPage(Schema):
    items: list[TransferOut]
    count: int


class TransferFilters(PageParams):
    kind: Literal["internal", "outgoing", "incoming"] | None = Field(None, description="类型")
    status: (
        Literal[
            "pending_out", "pending_in", "awaiting_receipt", "completed", "rejected", "cancelled"
        ]
        | None
    ) = Field(None, description="状态")
    q: Text = Field("", max_length=100, description="姓名或介绍信编号包含")


class StartIn(Schema):
    person_id: int = Field(..., ge=1, le=MAX_ID)
    to_org_id: int = Field(..., ge=1, le=MAX_ID)
    to_group_id: int | None = Field(None, ge=1, le=MAX_ID)
    reason: Text = Field("", max_length=200)
    paid_up_to: dt.date | None = None


class LetterIn(Schema):
    person_id: int = Field(..., ge=1, le=MAX_ID)
    external_org: Text = Field(..., min_length=1, max_length=200)
    cross_province: bool = False
    reason: Text = Field("", max_length=200)
    paid_up_to: dt.date | None = None
    issued_on: dt.date | None = None


def _require(user: Any, action: str = "view") -> None:
    if not has_permission(user, Transfer, action):
        raise PermissionDenied("您没有办理组织关系转接的权限。")


def _get(user: Any, pk: int) -> Transfer:
    transfer = selectors.transfer_get(user=user, pk=pk)
    if transfer is None:
        raise Http404
    return transfer


def _org(pk: int | None) -> PartyOrg | None:
    if pk is None:
        return None
    org = PartyOrg.objects.filter(pk=pk, dissolved_on__isnull=True).first()
    if org is None:
        raise Http404
    return org


@router.get("/", response={200: TransferPage, **error_responses(*READ_ERRORS)}, summary="转接列表")
def list_transfers(request: HttpRequest, filters: Query[TransferFilters]) -> dict[str, Any]:
    user = request.auth  # type: ignore[attr-defined]
    _require(user)
    qs = selectors.transfer_list(
        user=user, q=filters.q.strip(), kind=filters.kind or "", status=filters.status or ""
    )
    return paginate(qs.order_by("-requested_at", "-pk"), filters)


@router.get(
    "/{int:transfer_id}",
    response={200: TransferOut, **error_responses(*DETAIL_ERRORS)},
    summary="转接详情",
)
def get_transfer(request: HttpRequest, transfer_id: int = Path(..., ge=1, le=MAX_ID)) -> Transfer:
    user = request.auth  # type: ignore[attr-defined]
    _require(user)
    return _get(user, transfer_id)


@router.post(
    "/", response={201: TransferOut, **error_responses(*WRITE_ERRORS)}, summary="发起系统内转接"
)
def start_transfer(request: HttpRequest, payload: StartIn) -> Status[Transfer]:
    user = request.auth  # type: ignore[attr-defined]
    _require(user, "add")
    to_org = _org(payload.to_org_id)
    assert to_org is not None
    transfer = services.transfer_start(
        actor=user,
        person_id=payload.person_id,
        to_org=to_org,
        to_group=_org(payload.to_group_id),
        reason=payload.reason,
        paid_up_to=payload.paid_up_to,
    )
    return Status(201, _get(user, transfer.pk))


@router.get(
    "/letters",
    response={200: TransferPage, **error_responses(*READ_ERRORS)},
    summary="介绍信列表（转出系统外）",
)
def list_letters(request: HttpRequest, filters: Query[TransferFilters]) -> dict[str, Any]:
    user = request.auth  # type: ignore[attr-defined]
    _require(user)
    qs = selectors.transfer_list(
        user=user, q=filters.q.strip(), kind="outgoing", status=filters.status or ""
    )
    return paginate(qs.order_by("-letter_year", "-letter_seq", "-pk"), filters)


@router.post(
    "/letters",
    response={201: TransferOut, **error_responses(*WRITE_ERRORS)},
    summary="开具介绍信（转出系统外）",
)
def issue_letter(request: HttpRequest, payload: LetterIn) -> Status[Transfer]:
    user = request.auth  # type: ignore[attr-defined]
    _require(user, "add")
    transfer = services.letter_issue(
        actor=user,
        person_id=payload.person_id,
        external_org=payload.external_org,
        cross_province=payload.cross_province,
        paid_up_to=payload.paid_up_to,
        reason=payload.reason,
        issued_on=payload.issued_on,
    )
    return Status(201, _get(user, transfer.pk))


class ActionIn(Schema):
    action: Literal["approve", "accept", "reject", "receipt"] = Field(
        ..., description="approve 转出审批 · accept 接收 · reject 退回 · receipt 登记回执"
    )
    reason: Text = Field("", max_length=200, description="退回原因（reject 必填）")
    to_group_id: int | None = Field(None, ge=1, le=MAX_ID, description="编入党小组（accept）")
    receipt_on: dt.date | None = Field(None, description="回执日期（receipt，默认今天）")


@router.post(
    "/{int:transfer_id}",
    response={200: TransferOut, **error_responses(*WRITE_ERRORS)},
    summary="办理下一步：转出审批、接收、退回或登记回执",
)
def act(
    request: HttpRequest, payload: ActionIn, transfer_id: int = Path(..., ge=1, le=MAX_ID)
) -> Transfer:
    user = request.auth  # type: ignore[attr-defined]
    _require(user)
    _get(user, transfer_id)  # 404 outside scope
    _require(user, "change")
    if payload.action == "approve":
        services.transfer_approve(actor=user, pk=transfer_id)
    elif payload.action == "accept":
        services.transfer_accept(actor=user, pk=transfer_id, to_group=_org(payload.to_group_id))
    elif payload.action == "reject":
        services.transfer_reject(actor=user, pk=transfer_id, reason=payload.reason)
    else:
        services.letter_receipt(actor=user, pk=transfer_id, receipt_on=payload.receipt_on)
    return _get(user, transfer_id)
