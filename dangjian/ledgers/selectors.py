"""Reads of the standard ledgers: which branches a user may see, and the assembled ledger.

Scope: a ledger is about one branch; the user may see it where a grant on ``ledgers.Ledger``
covers the branch's path (``scope_q``/``org_paths_for``: the same rules as ``restrict``).
Sections are computed from the branch's records only after that check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from dangjian.core.registries import ledger_sections
from dangjian.core.scope import SYSTEM, org_paths_for, restrict, scope_q
from dangjian.ledgers.models import Ledger
from dangjian.orgs.models import PartyOrg


def ledger_branches(*, user: Any, action: str = "view") -> QuerySet[PartyOrg]:
    qs = PartyOrg.objects.filter(kind=PartyOrg.Kind.BRANCH)
    if user is SYSTEM:
        return qs.order_by("path")
    q = scope_q(Ledger, user, action)
    if q is None:
        return qs.none()
    if q:  # not everything: the subtree grants (a ledger has no person for self grants)
        cond = Q()
        paths = list(org_paths_for(user, Ledger, action))
        for path in paths:
            cond |= Q(path__startswith=path)
        qs = qs.filter(cond) if paths else qs.none()
    return qs.order_by("path")


def branch_get(*, user: Any, pk: int, action: str = "view") -> PartyOrg | None:
    return ledger_branches(user=user, action=action).filter(pk=pk).first()


def recent_ledgers(*, user: Any, limit: int = 20) -> list[Ledger]:
    qs = restrict(Ledger.objects.filter(created_by=user), user, "view")
    return list(qs.select_related("branch", "job")[:limit])


@dataclass
class SectionData:
    key: str
    title: str
    headers: list[str]
    rows: list[list[Any]]


@dataclass
class LedgerData:
    branch: PartyOrg
    year: int
    generated_at: Any
    sections: list[SectionData] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.branch.name} {self.year} 年度标准化台帐"


def build_ledger(
    branch: PartyOrg, year: int, progress: Callable[[int, int, str], None] | None = None
) -> LedgerData:
    """Assemble every registered section (call only after the scope check on ``branch``)."""
    data = LedgerData(branch=branch, year=year, generated_at=timezone.localtime())
    registered = ledger_sections()
    for index, section in enumerate(registered):
        if progress is not None:
            progress(index, len(registered), section.title)
        headers, rows = section.func(branch, year)
        data.sections.append(SectionData(section.key, section.title, headers, list(rows)))
    return data
