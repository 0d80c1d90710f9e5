"""API: persons (``/api/v1/persons/``): list, detail, create, partial update.

Reads go through ``people.selectors`` (scoped), writes through ``people.services`` (validated,
one transaction, scope re-check, history, audit). Citizen ID, phone and address are always
masked here (PI-03): the API has no reveal. Updates use optimistic locking (REL-01): responses
carry ``ETag: "<version>"`` and a ``version`` field; ``PATCH`` needs ``If-Match`` (mismatch →
412) or a ``version`` field (stale → 409); without either it is refused with 428.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.errors import HttpError

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
from dangjian.orgs.selectors import org_list, unit_list
from dangjian.people.models import Person
from dangjian.people.selectors import MaskedIdentifiers, person_get, person_identifiers, person_list
from dangjian.people.services import StaleVersion, person_create, person_update

router = Router(tags=["人员"])

GenderCode = Literal["M", "F"]
EducationCode = Literal[
    "", "primary", "junior", "senior", "college", "bachelor", "master", "doctor"
]
PoliticalStatusCode = Literal[
    "masses", "league_member", "applicant", "activist", "candidate", "probationary", "full"
]
MembershipStatusCode = Literal[
    "normal", "suspended", "restored", "retained", "expelled", "quit", "deceased"
]


# --- output ---------------------------------------------------------------------------------


def _masked(obj: Person) -> MaskedIdentifiers:
    cached: MaskedIdentifiers | None = getattr(obj, "_api_masked", None)
    if cached is None:
        cached = person_identifiers(obj)
        obj._api_masked = cached  # type: ignore[attr-defined]
    return cached


class PersonOut(Schema):
    id: int
    employee_no: str
    name: str
    gender: str
    ethnicity: str
    birth_date: dt.date
    education: str
    citizen_id: str = Field(description="身份证号（脱敏）")
    phone: str = Field(description="手机号码（脱敏）")
    address: str = Field(description="家庭住址（脱敏）")
    post: str
    unit_id: int
    unit_name: str
    is_front_line: bool
    political_status: str
    political_status_name: str
    party_org_id: int
    party_org_name: str
    party_group_id: int | None
    party_group_name: str
    joined_party_on: dt.date | None
    regularised_on: dt.date | None
    membership_status: str
    lost_contact: bool
    lost_contact_on: dt.date | None
    is_mobile: bool
    mobile_destination: str
    is_employed: bool
    version: int
    updated_at: dt.datetime

    @staticmethod
    def resolve_citizen_id(obj: Person) -> str:
        return _masked(obj).citizen_id

    @staticmethod
    def resolve_phone(obj: Person) -> str:
        return _masked(obj).phone

    @staticmethod
    def resolve_address(obj: Person) -> str:
        return _masked(obj).address

    @staticmethod
    def resolve_unit_name(obj: Person) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_party_org_name(obj: Person) -> str:
        return obj.party_org.name

    @staticmethod
    def resolve_party_group_name(obj: Person) -> str:
        return obj.party_group.name if obj.party_group_id and obj.party_group else ""

    @staticmethod
    def resolve_political_status_name(obj: Person) -> str:
        return str(obj.get_political_status_display())


class PersonPage(Schema):
    items: list[PersonOut]
    count: int


# --- input ----------------------------------------------------------------------------------


class PersonFilters(PageParams):
    q: Text = Field("", max_length=100, description="姓名、工号，或完整身份证号/手机号（精确）")
    party_org: int | None = Field(None, ge=1, le=MAX_ID, description="党组织ID（含下级）")
    unit: int | None = Field(None, ge=1, le=MAX_ID, description="单位ID（含下级）")
    political_status: PoliticalStatusCode | None = Field(None, description="政治面貌")
    is_front_line: bool | None = Field(None, description="一线职工")


class PersonIn(Schema):
    employee_no: Text = Field(min_length=1, max_length=32, description="工号")
    name: Text = Field(min_length=1, max_length=40, description="姓名")
    gender: GenderCode
    ethnicity: Text = Field("汉族", max_length=20)
    birth_date: dt.date
    education: EducationCode = ""
    citizen_id: Text = Field(max_length=32, description="身份证号（18位）")
    phone: Text = Field("", max_length=20)
    address: Text = Field("", max_length=200)
    post: Text = Field("", max_length=60)
    unit: int = Field(ge=1, le=MAX_ID, description="单位/班队ID")
    is_front_line: bool = False
    political_status: PoliticalStatusCode = "masses"
    party_org: int | None = Field(None, ge=1, le=MAX_ID, description="所在党组织ID（默认随单位）")
    party_group: int | None = Field(None, ge=1, le=MAX_ID, description="所在党小组ID")
    joined_party_on: dt.date | None = None
    regularised_on: dt.date | None = None
    membership_status: MembershipStatusCode = "normal"
    lost_contact: bool = False
    lost_contact_on: dt.date | None = None
    is_mobile: bool = False
    mobile_destination: Text = Field("", max_length=120)
    is_employed: bool = True


class PersonPatch(Schema):
    """Only the fields sent are changed."""

    version: int | None = Field(None, ge=1, le=MAX_ID, description="读取时的版本号")
    employee_no: Text | None = Field(None, min_length=1, max_length=32)
    name: Text | None = Field(None, min_length=1, max_length=40)
    gender: GenderCode | None = None
    ethnicity: Text | None = Field(None, max_length=20)
    birth_date: dt.date | None = None
    education: EducationCode | None = None
    citizen_id: Text | None = Field(None, max_length=32)
    phone: Text | None = Field(None, max_length=20)
    address: Text | None = Field(None, max_length=200)
    post: Text | None = Field(None, max_length=60)
    unit: int | None = Field(None, ge=1, le=MAX_ID)
    is_front_line: bool | None = None
    political_status: PoliticalStatusCode | None = None
    party_org: int | None = Field(None, ge=1, le=MAX_ID)
    party_group: int | None = Field(None, ge=1, le=MAX_ID)
    joined_party_on: dt.date | None = None
    regularised_on: dt.date | None = None
    membership_status: MembershipStatusCode | None = None
    lost_contact: bool | None = None
    lost_contact_on: dt.date | None = None
    is_mobile: bool | None = None
    mobile_destination: Text | None = Field(None, max_length=120)
    is_employed: bool | None = None


# Fields a PATCH may set to null (clearing them); null elsewhere is a field error.
NULLABLE = {"party_org", "party_group", "joined_party_on", "regularised_on", "lost_contact_on"}
REFERENCES = {
    "unit": ("所选单位不存在或不在您的数据范围内。", unit_list),
    "party_org": ("所选党组织不存在或不在您的数据范围内。", org_list),
    "party_group": ("所选党小组不存在或不在您的数据范围内。", org_list),
}


def _resolve(user: Any, data: dict[str, Any]) -> dict[str, Any]:
    """Turn ids into objects the caller may see; anything else is a field error (422)."""
    errors: dict[str, list[str]] = {}
    resolved = dict(data)
    for field, value in data.items():
        if value is None and field not in NULLABLE:
            errors.setdefault(field, []).append("此项不能为空。")
    for field, (message, selector) in REFERENCES.items():
        pk = data.get(field)
        if pk is None:
            continue
        obj = selector(user=user).filter(pk=pk).first()
        if obj is None:
            errors.setdefault(field, []).append(message)
        resolved[field] = obj
    if errors:
        raise ValidationError(errors)
    return resolved


def _respond(response: HttpResponse, person: Person) -> Person:
    response["ETag"] = f'"{person.version}"'
    return person


def _require(user: Any, action: str) -> None:
    if not has_permission(user, Person, action):
        raise PermissionDenied("您没有执行此操作的权限。")


_IF_MATCH = re.compile(r'^\s*(?:W/)?"?(\d{1,18})"?\s*$')


# --- endpoints ------------------------------------------------------------------------------


@router.get("/", response={200: PersonPage, **error_responses(*READ_ERRORS)}, summary="人员列表")
def list_persons(request: HttpRequest, filters: Query[PersonFilters]) -> dict[str, Any]:
    user = request.auth  # type: ignore[attr-defined]
    _require(user, "view")
    qs: QuerySet[Person] = person_list(
        user=user,
        q=filters.q,
        party_org=filters.party_org,
        unit=filters.unit,
        political_status=filters.political_status or "",
        is_front_line=filters.is_front_line,
    )
    return paginate(qs.order_by("employee_no", "pk"), filters)


@router.get(
    "/{int:person_id}",
    response={200: PersonOut, **error_responses(*DETAIL_ERRORS)},
    summary="人员详情",
)
def get_person(
    request: HttpRequest, response: HttpResponse, person_id: int = Path(..., ge=1, le=MAX_ID)
) -> Person:
    user = request.auth  # type: ignore[attr-defined]
    _require(user, "view")
    person = person_get(user=user, pk=person_id)
    if person is None:
        raise Http404
    return _respond(response, person)


@router.post(
    "/",
    response={201: PersonOut, **error_responses(401, 403, 422, 429)},
    summary="新增人员",
)
def create_person(
    request: HttpRequest, payload: PersonIn, response: HttpResponse
) -> Status[Person]:
    user = request.auth  # type: ignore[attr-defined]
    _require(user, "add")
    data = _resolve(user, payload.model_dump())
    created = person_create(actor=user, data=data, source="api")
    person = person_get(user=user, pk=created.pk)
    if person is None:  # created in scope but not visible: cannot happen with today's roles
        raise Http404
    response["Location"] = f"{request.path.rstrip('/')}/{person.pk}"
    return Status(201, _respond(response, person))


@router.patch(
    "/{int:person_id}",
    response={200: PersonOut, **error_responses(401, 403, 404, 409, 412, 422, 428, 429)},
    summary="修改人员（乐观锁）",
)
def update_person(
    request: HttpRequest,
    payload: PersonPatch,
    response: HttpResponse,
    person_id: int = Path(..., ge=1, le=MAX_ID),
) -> Person:
    user = request.auth  # type: ignore[attr-defined]
    _require(user, "change")
    person = person_get(user=user, pk=person_id)
    if person is None:
        raise Http404
    data = payload.model_dump(exclude_unset=True)
    body_version = data.pop("version", None)
    if_match = request.headers.get("If-Match")
    expected: int | None
    if if_match is not None:
        match = _IF_MATCH.match(if_match)
        if match is None or int(match.group(1)) != person.version:
            raise HttpError(412, "If-Match 与当前版本不符：该人员信息已被他人修改，请刷新后重试。")
        expected = int(match.group(1))
    elif body_version is not None:
        expected = body_version
    else:
        raise HttpError(428, "修改须提供 If-Match 请求头或 version 字段（读取时的版本号）。")
    if not data:
        return _respond(response, person)
    resolved = _resolve(user, data)
    try:
        person_update(
            actor=user, person=person, data=resolved, expected_version=expected, source="api"
        )
    except StaleVersion as exc:
        status = 412 if if_match is not None else 409
        raise HttpError(status, str(exc)) from exc
    fresh = person_get(user=user, pk=person_id)
    if fresh is None:
        raise Http404
    return _respond(response, fresh)
