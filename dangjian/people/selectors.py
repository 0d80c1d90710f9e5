"""Reads of the people registry, always scoped; display values masked unless revealed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from dangjian.core.crypto import blind_index
from dangjian.core.identity import mask_citizen_id, mask_phone, mask_text
from dangjian.core.scope import has_permission, restrict
from dangjian.people.models import Person

LIST_RELATED = ("unit", "party_org", "party_group")


def person_list(
    *,
    user: Any,
    action: str = "view",
    q: str = "",
    party_org: int | None = None,
    unit: int | None = None,
    political_status: str = "",
    is_front_line: bool | None = None,
) -> QuerySet[Person]:
    """Persons the user may see, filtered. ``q`` matches name, 工号, or an exact ID/phone."""
    qs = restrict(Person.objects.select_related(*LIST_RELATED), user, action)
    if q:
        q = q.strip()
        match = Q(name__contains=q) | Q(employee_no=q)
        if len(q) == 18:
            match |= Q(citizen_id_bidx=blind_index(q, "citizen_id"))
        if len(q) == 11 and q.isdigit():
            match |= Q(phone_bidx=blind_index(q, "phone"))
        qs = qs.filter(match)
    if party_org:
        from dangjian.orgs.models import PartyOrg

        org = PartyOrg.objects.filter(pk=party_org).only("path").first()
        qs = qs.filter(party_org__path__startswith=org.path) if org else qs.none()
    if unit:
        from dangjian.orgs.models import Unit

        node = Unit.objects.filter(pk=unit).only("path").first()
        qs = qs.filter(unit__path__startswith=node.path) if node else qs.none()
    if political_status:
        qs = qs.filter(political_status=political_status)
    if is_front_line is not None:
        qs = qs.filter(is_front_line=is_front_line)
    return qs


def person_get(*, user: Any, pk: int, action: str = "view") -> Person | None:
    return (
        restrict(Person.objects.select_related(*LIST_RELATED), user, action).filter(pk=pk).first()
    )


@dataclass(frozen=True)
class MaskedIdentifiers:
    citizen_id: str
    phone: str
    address: str


def person_identifiers(person: Person) -> MaskedIdentifiers:
    """Masked display values (PI-03). Plaintext only ever leaves through ``person_reveal``."""
    return MaskedIdentifiers(
        citizen_id=mask_citizen_id(person.citizen_id),
        phone=mask_phone(person.phone),
        address=mask_text(person.address),
    )


def can_reveal(user: Any) -> bool:
    return has_permission(user, Person, "reveal")
