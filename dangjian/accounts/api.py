"""API: the calling user (``GET /api/v1/me``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from dangjian.accounts.models import AdminRole, RoleAssignment, User
from dangjian.core.api_auth import DETAIL_ERRORS, error_responses

router = Router(tags=["账户"])


class NodeOut(Schema):
    id: int
    name: str


class RoleOut(Schema):
    code: str
    name: str
    scope_kind: str
    party_org: NodeOut | None
    department: NodeOut | None


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    admin_role: str
    admin_role_name: str
    roles: list[RoleOut]
    person_id: int | None


def _node(obj: Any) -> dict[str, Any] | None:
    return None if obj is None else {"id": obj.pk, "name": obj.name}


@router.get("/me", response={200: MeOut, **error_responses(*DETAIL_ERRORS)}, summary="当前用户")
def me(request: HttpRequest) -> dict[str, Any]:
    user: Any = request.auth  # type: ignore[attr-defined]
    assignments = (
        RoleAssignment.objects.filter(user=user)
        .select_related("role", "party_org", "department")
        .order_by("id")
    )
    person_id = User.objects.filter(pk=user.pk).values_list("person__id", flat=True).first()
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name or user.username,
        "admin_role": user.admin_role,
        "admin_role_name": AdminRole(user.admin_role).label if user.admin_role else "",
        "roles": [
            {
                "code": a.role.code,
                "name": a.role.name,
                "scope_kind": a.role.scope_kind,
                "party_org": _node(a.party_org),
                "department": _node(a.department),
            }
            for a in assignments
        ],
        "person_id": person_id,
    }
