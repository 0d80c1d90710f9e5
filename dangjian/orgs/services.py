"""Writes to the organisation trees. Every service runs in one transaction and is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from dangjian.audit.services import audit_record
from dangjian.core.scope import assert_in_scope
from dangjian.orgs.models import OrgEvent, PartyOrg, Unit


@transaction.atomic
def org_create(
    *,
    name: str,
    kind: str,
    parent: PartyOrg | None,
    actor: Any,
    effective_on: dt.date | None = None,
    **fields: Any,
) -> PartyOrg:
    org = PartyOrg(name=name, kind=kind, parent=parent, **fields)
    org.save()
    org.compute_path()
    org.save(update_fields=["path", "depth"])
    OrgEvent.objects.create(
        org=org,
        kind=OrgEvent.Kind.CREATE,
        effective_on=effective_on or dt.date.today(),
        new_name=name,
        new_parent=parent,
    )
    assert_in_scope(org, actor, "add")
    audit_record(
        "create", obj=org, changes={"name": [None, name], "kind": [None, kind]}, actor=actor
    )
    return org


@transaction.atomic
def unit_create(*, name: str, kind: str, parent: Unit | None, actor: Any, **fields: Any) -> Unit:
    unit = Unit(name=name, kind=kind, parent=parent, **fields)
    unit.save()
    unit.compute_path()
    unit.save(update_fields=["path", "depth"])
    assert_in_scope(unit, actor, "add")
    audit_record(
        "create", obj=unit, changes={"name": [None, name], "kind": [None, kind]}, actor=actor
    )
    return unit
