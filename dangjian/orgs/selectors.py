"""Reads of the organisation trees, always through the scope filter."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from dangjian.core.scope import restrict
from dangjian.orgs.models import PartyOrg, Unit


def org_list(*, user: Any, action: str = "view") -> QuerySet[PartyOrg]:
    return restrict(PartyOrg.objects.all(), user, action)


def unit_list(*, user: Any, action: str = "view") -> QuerySet[Unit]:
    return restrict(Unit.objects.all(), user, action)


def subtree(org: PartyOrg) -> QuerySet[PartyOrg]:
    """The organisation and everything below it (one indexed prefix predicate)."""
    return PartyOrg.objects.filter(path__startswith=org.path)


def branch_of(org: PartyOrg) -> PartyOrg | None:
    """The branch an organisation belongs to (itself, or the branch above a group)."""
    node: PartyOrg | None = org
    while node is not None and node.kind == PartyOrg.Kind.GROUP:
        node = node.parent
    return node
