"""The one enforcement point for data scope, modelled on NetBox's ``restrict(user, action)``.

Every queryset that reaches a person — views, API, exports, search, form choices, background
jobs — passes through :func:`restrict`. A model declares how its rows relate to the
organisation tree with a ``scope`` attribute (:class:`ScopeSpec`); the user's grants come from
``user.scope_grants()`` (implemented by ``accounts.User``), computed fresh for every request so
that a revoked role takes effect immediately (AC-08).

Out-of-scope rows are simply absent, so detail views answer 404 (never a hint that they exist).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q, QuerySet

M = TypeVar("M", bound=models.Model)

ACTIONS = ("view", "add", "change", "delete", "export", "import", "reveal")


@dataclass(frozen=True)
class ScopeSpec:
    """How a model's rows hang on the organisation tree.

    ``org_path``: lookup to the owning PartyOrg's materialised path (``"party_org__path"``).
    ``person``: lookup to the Person the row is about, for self-scoped roles (``"pk"``).
    ``domain``: lookup to a department domain, for domain-scoped roles (None = all domains).
    ``published``/``audience_path``: rows announced to a whole organisation (a round's results
    after publication): when the ``published`` lookup is true, every grant holding the view
    permission whose node lies under ``audience_path`` (the announcing committee) sees the row,
    self-scoped members included.
    """

    org_path: str | None = None
    person: str | None = None
    domain: str | None = None
    published: str | None = None
    audience_path: str | None = None
    many: bool = False  # ``org_path`` crosses a to-many relation: results need DISTINCT


# The political-work department leads the assessment and oversees every domain: a grant held
# with it is not narrowed to one domain (GLOSSARY: 政治工作部 leads assessment).
LEAD_DOMAINS = frozenset({"political_work"})


def ancestor_paths(path: str) -> list[str]:
    """Every prefix path of a materialised path (``a.b.c.`` → ``a.``, ``a.b.``, ``a.b.c.``)."""
    parts = [part for part in path.split(".") if part]
    return [".".join(parts[: i + 1]) + "." for i in range(len(parts))]


@dataclass(frozen=True)
class Grant:
    """One role held at one node: which permissions, over which rows."""

    role: str
    permissions: frozenset[str]
    kind: str  # "subtree" | "self" | "all"
    org_path: str = ""  # the node of the assignment (for "self": the member's own branch)
    person_id: int | None = None
    domains: frozenset[str] = field(default_factory=frozenset)

    def allows(self, perm: str) -> bool:
        return perm in self.permissions


class ScopedUser(Protocol):
    is_authenticated: bool

    def scope_grants(self) -> list[Grant]: ...


class _SystemActor:
    """The system itself (migrations, demo loader, scheduled jobs): unrestricted, and explicit.

    Views never see it: they pass ``request.user``. Audit rows name it ``system``.
    """

    is_authenticated = True
    is_active = True
    pk = None
    username = "system"

    def scope_grants(self) -> list[Grant]:
        return []

    def __str__(self) -> str:
        return "system"


SYSTEM = _SystemActor()


def permission_name(model: type[models.Model], action: str) -> str:
    meta = model._meta
    return f"{meta.app_label}.{action}_{meta.model_name}"


def _grants(user: Any) -> list[Grant]:
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_scope_grants_cache", None)
    if cached is None:
        cached = list(user.scope_grants())
        user._scope_grants_cache = cached  # lives as long as this request's user object
    return cached


def grants_key(user: Any) -> tuple[Any, ...]:
    """All that :func:`restrict` reads of ``user``, as a hashable: two users with equal keys
    get the same predicate for every model and action. A shape key for statements compiled
    once per scope (``core.statements.Prepared``); the grants are this request's, read fresh."""
    if user is SYSTEM:
        return ("system",)
    return ("grants", *_grants(user))


def scope_q(model: type[models.Model], user: Any, action: str) -> Q | None:
    """The predicate for rows the user may ``action``; None means no rows at all."""
    spec: ScopeSpec | None = getattr(model, "scope", None)
    if spec is None:
        raise TypeError(f"{model.__name__} declares no scope; it cannot be restricted")
    if user is SYSTEM:
        return Q()
    perm = permission_name(model, action)
    clauses: list[Q] = []
    for grant in _grants(user):
        if not grant.allows(perm):
            continue
        clause: Q | None
        if grant.kind == "all":
            clause = Q()
        elif grant.kind == "subtree" and spec.org_path:
            clause = Q(**{f"{spec.org_path}__startswith": grant.org_path})
        elif grant.kind == "self" and spec.person and grant.person_id:
            clause = Q(**{spec.person: grant.person_id})
        else:
            clause = None
        narrowed = grant.domains and spec.domain and not (grant.domains & LEAD_DOMAINS)
        if clause is not None and narrowed:
            clause &= Q(**{f"{spec.domain}__in": sorted(grant.domains)})
        if (
            action == "view"
            and spec.published
            and spec.audience_path
            and grant.kind != "all"
            and grant.org_path
        ):
            announced = Q(**{spec.published: True}) & Q(
                **{f"{spec.audience_path}__in": ancestor_paths(grant.org_path)}
            )
            clause = announced if clause is None else clause | announced
        if clause is None:
            continue
        if not clause:  # an empty Q: everything
            return Q()
        clauses.append(clause)
    if not clauses:
        return None
    combined = clauses[0]
    for clause in clauses[1:]:
        combined |= clause
    return combined


def restrict(queryset: QuerySet[M], user: Any, action: str = "view") -> QuerySet[M]:
    """Narrow ``queryset`` to the rows ``user`` may ``action``."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    q = scope_q(queryset.model, user, action)
    if q is None:
        return queryset.none()
    if not q:
        return queryset
    return queryset.filter(q).distinct() if _needs_distinct(queryset.model) else queryset.filter(q)


def _needs_distinct(model: type[models.Model]) -> bool:
    spec: ScopeSpec = model.scope  # type: ignore[attr-defined]
    return bool(getattr(spec, "many", False))


def has_permission(user: Any, model: type[models.Model], action: str) -> bool:
    """Does the user hold ``action`` on ``model`` anywhere (for menus and 403 decisions)?"""
    if user is SYSTEM:
        return True
    perm = permission_name(model, action)
    return any(grant.allows(perm) for grant in _grants(user))


def assert_in_scope(obj: models.Model, user: Any, action: str) -> None:
    """Re-check a written row inside the transaction (AC-04): raise if outside scope."""
    model = type(obj)
    if not restrict(model._default_manager.filter(pk=obj.pk), user, action).exists():
        raise PermissionDenied("该操作超出您的数据权限范围。")


def org_paths_for(user: Any, model: type[models.Model], action: str) -> Iterable[str]:
    """The subtree roots where the user may ``action`` rows of ``model`` (for form choices)."""
    perm = permission_name(model, action)
    return [g.org_path for g in _grants(user) if g.allows(perm) and g.kind == "subtree"]
