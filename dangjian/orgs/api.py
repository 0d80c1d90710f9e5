"""API: Party organisations (``/api/v1/orgs/``) and administrative units (``/api/v1/units/``).

Read-only for now. Querysets come from ``orgs.selectors`` (scoped); no permission at all is 403,
an object outside the caller's scope is 404, like the pages.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema

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
from dangjian.orgs.models import PartyOrg, Unit
from dangjian.orgs.selectors import org_list, unit_list

orgs_router = Router(tags=["党组织"])
units_router = Router(tags=["行政单位"])

OrgKind = Literal["committee", "general_branch", "branch", "group"]
UnitKind = Literal["mine", "workshop", "department", "team"]


def _require(user: Any, model: type[Any]) -> None:
    if not has_permission(user, model, "view"):
        raise PermissionDenied("您没有查看该类数据的权限。")


# --- organisations --------------------------------------------------------------------------


class OrgOut(Schema):
    id: int
    name: str
    kind: str
    kind_name: str
    parent_id: int | None
    depth: int
    code: str
    category: str
    secretary_name: str
    contact_name: str
    established_on: dt.date | None
    has_committee: bool
    term_started_on: dt.date | None
    term_ends_on: dt.date | None
    dissolved_on: dt.date | None
    is_active: bool

    @staticmethod
    def resolve_kind_name(obj: PartyOrg) -> str:
        return str(obj.get_kind_display())


class OrgPage(Schema):
    items: list[OrgOut]
    count: int


class OrgFilters(PageParams):
    kind: OrgKind | None = Field(None, description="类型")
    parent: int | None = Field(None, ge=1, le=MAX_ID, description="上级组织ID（直接下级）")
    q: Text = Field("", max_length=100, description="名称包含")
    active: bool | None = Field(None, description="是否有效（未撤销）")


def _active_q(today: dt.date) -> Q:
    return Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=today)


@orgs_router.get(
    "/", response={200: OrgPage, **error_responses(*READ_ERRORS)}, summary="党组织列表"
)
def list_orgs(request: HttpRequest, filters: Query[OrgFilters]) -> dict[str, Any]:
    user = request.auth  # type: ignore[attr-defined]
    _require(user, PartyOrg)
    qs: QuerySet[PartyOrg] = org_list(user=user)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.parent:
        qs = qs.filter(parent_id=filters.parent)
    if filters.q.strip():
        qs = qs.filter(name__contains=filters.q.strip())
    if filters.active is not None:
        today = timezone.localdate()
        qs = qs.filter(_active_q(today)) if filters.active else qs.exclude(_active_q(today))
    return paginate(qs.order_by("path", "pk"), filters)


@orgs_router.get(
    "/{int:org_id}",
    response={200: OrgOut, **error_responses(*DETAIL_ERRORS)},
    summary="党组织详情",
)
def get_org(request: HttpRequest, org_id: int = Path(..., ge=1, le=MAX_ID)) -> PartyOrg:
    user = request.auth  # type: ignore[attr-defined]
    _require(user, PartyOrg)
    org = org_list(user=user).filter(pk=org_id).first()
    if org is None:
        raise Http404
    return org


# --- units ----------------------------------------------------------------------------------


class UnitOut(Schema):
    id: int
    name: str
    kind: str
    kind_name: str
    parent_id: int | None
    depth: int
    is_production: bool
    party_org_id: int | None
    dissolved_on: dt.date | None

    @staticmethod
    def resolve_kind_name(obj: Unit) -> str:
        return str(obj.get_kind_display())


class UnitPage(Schema):
    items: list[UnitOut]
    count: int


class UnitFilters(PageParams):
    kind: UnitKind | None = Field(None, description="类型")
    parent: int | None = Field(None, ge=1, le=MAX_ID, description="上级单位ID（直接下级）")
    q: Text = Field("", max_length=100, description="名称包含")


@units_router.get(
    "/", response={200: UnitPage, **error_responses(*READ_ERRORS)}, summary="行政单位列表"
)
def list_units(request: HttpRequest, filters: Query[UnitFilters]) -> dict[str, Any]:
    user = request.auth  # type: ignore[attr-defined]
    _require(user, Unit)
    qs: QuerySet[Unit] = unit_list(user=user)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.parent:
        qs = qs.filter(parent_id=filters.parent)
    if filters.q.strip():
        qs = qs.filter(name__contains=filters.q.strip())
    return paginate(qs.order_by("path", "pk"), filters)


@units_router.get(
    "/{int:unit_id}",
    response={200: UnitOut, **error_responses(*DETAIL_ERRORS)},
    summary="行政单位详情",
)
def get_unit(request: HttpRequest, unit_id: int = Path(..., ge=1, le=MAX_ID)) -> Unit:
    user = request.auth  # type: ignore[attr-defined]
    _require(user, Unit)
    unit = unit_list(user=user).filter(pk=unit_id).first()
    if unit is None:
        raise Http404
    return unit
