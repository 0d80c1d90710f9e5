"""Reads of transfers, always scoped: ``restrict`` (the sending side, via ``from_org``, and the
member themselves) OR-ed with the receiving side (``to_org`` inside the user's subtrees for the
same permission), so both branches of an internal transfer see it and nobody else does."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from dangjian.core.scope import org_paths_for, restrict, scope_q
from dangjian.transfers.models import Transfer

RELATED = ("person", "from_org", "to_org", "to_group")


def transfer_scope(*, user: Any, action: str = "view") -> QuerySet[Transfer]:
    sending = restrict(Transfer.objects.all(), user, action)
    receiving = Q(pk__in=[])
    for path in org_paths_for(user, Transfer, action):
        receiving |= Q(to_org__path__startswith=path)
    return Transfer.objects.filter(Q(pk__in=sending.values("pk")) | receiving)


def transfer_list(
    *,
    user: Any,
    q: str = "",
    kind: str = "",
    status: str = "",
    open_only: bool = False,
) -> QuerySet[Transfer]:
    qs = transfer_scope(user=user).select_related(*RELATED)
    if kind in Transfer.Kind.values:
        qs = qs.filter(kind=kind)
    if status in Transfer.Status.values:
        qs = qs.filter(status=status)
    if open_only:
        qs = qs.filter(
            status__in=[
                Transfer.Status.PENDING_OUT,
                Transfer.Status.PENDING_IN,
                Transfer.Status.AWAITING_RECEIPT,
            ]
        )
    if q:
        qs = qs.filter(Q(person__name__contains=q) | Q(letter_no__contains=q))
    return qs


def transfer_get(*, user: Any, pk: int, action: str = "view") -> Transfer | None:
    return transfer_scope(user=user, action=action).select_related(*RELATED).filter(pk=pk).first()


def may_act(*, user: Any, transfer: Transfer, side: str) -> bool:
    """May ``user`` approve for the sending side (``out``) or accept for the receiving (``in``)?"""
    org = transfer.from_org if side == "out" else transfer.to_org
    if org is None:
        return False
    q = scope_q(Transfer, user, "change")
    if q is None:
        return False
    if not q:  # an "all" grant (committee) may act for either side
        return True
    return any(org.path.startswith(p) for p in org_paths_for(user, Transfer, "change"))
