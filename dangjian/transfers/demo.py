"""Demo: one completed internal transfer (the member's history shows both branches) and one
outgoing introduction letter awaiting its receipt."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from dangjian.core import context
from dangjian.core.scope import SYSTEM
from dangjian.orgs.models import PartyOrg
from dangjian.people.models import Person, PoliticalStatus


def load(*, today: dt.date, rng: random.Random) -> None:
    from dangjian.transfers import services
    from dangjian.transfers.models import Transfer

    branches = list(
        PartyOrg.objects.filter(kind=PartyOrg.Kind.BRANCH, dissolved_on__isnull=True).order_by(
            "path"
        )[:3]
    )
    if len(branches) < 2:
        return
    members = list(
        Person.objects.filter(party_org__in=branches[:2], political_status=PoliticalStatus.FULL)
        .exclude(user__isnull=False)
        .order_by("pk")[:40]
    )
    movers = [p for p in members if p.party_org_id == branches[0].pk][:1]
    leavers = [p for p in members if p.party_org_id == branches[1].pk][:1]
    with context.acting_as(SYSTEM, channel="cli"):
        if movers:
            group = (
                PartyOrg.objects.filter(kind=PartyOrg.Kind.GROUP, parent=branches[1])
                .order_by("pk")
                .first()
            )
            transfer = services.transfer_start(
                actor=SYSTEM,
                person_id=movers[0].pk,
                to_org=branches[1],
                to_group=group,
                reason="工作调动",
                paid_up_to=today.replace(day=1) - dt.timedelta(days=1),
            )
            services.transfer_approve(actor=SYSTEM, pk=transfer.pk)
            services.transfer_accept(actor=SYSTEM, pk=transfer.pk, on=today - dt.timedelta(40))
            Transfer.objects.filter(pk=transfer.pk).update(
                requested_at=timezone.now() - dt.timedelta(days=45)
            )
        if leavers:
            services.letter_issue(
                actor=SYSTEM,
                person_id=leavers[0].pk,
                external_org="淮北矿业集团某煤矿党委",
                cross_province=False,
                paid_up_to=today.replace(day=1) - dt.timedelta(days=1),
                reason="调出本矿",
                issued_on=today - dt.timedelta(days=20),
            )
