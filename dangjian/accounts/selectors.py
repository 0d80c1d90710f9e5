"""Reads for the account pages. Accounts carry no person data and no organisation scope, so
the gate is the administrator role (三员分立); organisation choices go through the scope
filter as the system actor, because the security administrator assigns roles anywhere.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from dangjian.accounts.models import AdminRole, Role, RoleAssignment, User, UserSession
from dangjian.accounts.services import require_admin
from dangjian.core.scope import SYSTEM, restrict


def account_list(*, actor: Any, q: str = "", status: str = "", kind: str = "") -> QuerySet[User]:
    """System administrator: every account, searchable by username or name."""
    require_admin(actor, AdminRole.SYSTEM)
    qs = User.objects.annotate(role_count=Count("role_assignments"))
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(display_name__icontains=q))
    now = timezone.now()
    if status == "active":
        qs = qs.filter(is_active=True)
    elif status == "disabled":
        qs = qs.filter(is_active=False)
    elif status == "locked":
        qs = qs.filter(locked_until__gt=now)
    elif status == "must_change":
        qs = qs.filter(must_change_password=True)
    if kind == "admin":
        qs = qs.exclude(admin_role="")
    elif kind == "business":
        qs = qs.filter(admin_role="")
    elif kind == "demo":
        qs = qs.filter(is_demo=True)
    return qs


def account_get(*, actor: Any, pk: int, admin_role: str = AdminRole.SYSTEM) -> User:
    require_admin(actor, admin_role)
    return User.objects.get(pk=pk)


def locked_accounts(*, actor: Any) -> QuerySet[User]:
    """Security administrator: accounts locked now or with failures counted."""
    require_admin(actor, AdminRole.SECURITY)
    return User.objects.filter(
        Q(locked_until__gt=timezone.now()) | Q(failed_logins__gt=0)
    ).order_by("-locked_until", "username")


def assignment_list(
    *, actor: Any, q: str = "", role: str = "", org: str = ""
) -> QuerySet[RoleAssignment]:
    """Security administrator: every business role assignment."""
    require_admin(actor, AdminRole.SECURITY)
    qs = RoleAssignment.objects.select_related("user", "role", "party_org", "department")
    if q:
        qs = qs.filter(Q(user__username__icontains=q) | Q(user__display_name__icontains=q))
    if role:
        qs = qs.filter(role__code=role)
    if org.isdigit():
        qs = qs.filter(party_org_id=int(org))
    return qs


def grantable_users(*, actor: Any) -> QuerySet[User]:
    """Accounts that may receive a business role: active, not one of the three administrators."""
    require_admin(actor, AdminRole.SECURITY)
    return User.objects.filter(is_active=True, admin_role="")


def role_choices(*, actor: Any) -> QuerySet[Role]:
    require_admin(actor, AdminRole.SECURITY)
    return Role.objects.all()


def org_choices(*, actor: Any) -> QuerySet[Any]:
    """Organisation nodes for role assignments: the whole tree (as the system actor)."""
    require_admin(actor, AdminRole.SECURITY)
    party_org = RoleAssignment._meta.get_field("party_org").related_model
    return restrict(party_org._default_manager.all(), SYSTEM, "view").order_by("path")  # type: ignore[union-attr]


def department_choices(*, actor: Any) -> QuerySet[Any]:
    require_admin(actor, AdminRole.SECURITY)
    department = RoleAssignment._meta.get_field("department").related_model
    return department._default_manager.order_by("pk")  # type: ignore[union-attr]


def _live(qs: QuerySet[UserSession]) -> QuerySet[UserSession]:
    from django.contrib.sessions.models import Session

    alive = Session.objects.filter(pk=OuterRef("pk"), expire_date__gt=timezone.now())
    return qs.filter(Exists(alive))


def own_sessions(*, user: Any) -> QuerySet[UserSession]:
    return _live(UserSession.objects.filter(user=user)).order_by("-last_seen")


def all_sessions(*, actor: Any, q: str = "") -> QuerySet[UserSession]:
    """Security administrator: every live session."""
    require_admin(actor, AdminRole.SECURITY)
    qs = _live(UserSession.objects.select_related("user"))
    if q:
        qs = qs.filter(user__username__icontains=q)
    return qs


def security_rules(*, actor: Any) -> list[dict[str, Any]]:
    """Security administrator: the security rules with their current values."""
    from dangjian.core.models import Rule
    from dangjian.core.rules import DEFAULT_RULES

    require_admin(actor, AdminRole.SECURITY)
    stored = {r.key: r for r in Rule.objects.filter(category="security")}
    rows = []
    for key, (category, name, default, unit, source) in DEFAULT_RULES.items():
        if category != "security":
            continue
        row = stored.get(key)
        rows.append(
            {
                "key": key,
                "name": name,
                "value": row.value if row else default,
                "default": default,
                "unit": unit,
                "source": source,
                "updated_at": row.updated_at if row else None,
            }
        )
    return rows
