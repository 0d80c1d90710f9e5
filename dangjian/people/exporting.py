"""Excel export of persons (issue 2 §3; SECURITY.md PI-05, IN-07, RIP-02).

Registered with :mod:`dangjian.core.exports` as ``people.persons``: the background job calls
:func:`export_persons` with the job owner and the list page's query-string filters, so an export
holds exactly what the owner sees in the list (``person_list`` with action ``export``, which
passes through the scope filter). Identifiers are always masked (no unmasked export in this
issue); the core writer neutralises formula-like cells and streams into a write-only workbook
while the rows come from ``iterator(chunk_size=2000)``, so memory stays flat.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from dangjian.core.exports import register_export
from dangjian.core.identity import mask_citizen_id, mask_phone
from dangjian.people.models import Person
from dangjian.people.selectors import FILTER_PARAMS, person_filters, person_list

EXPORT_KEY = "people.persons"
CHUNK_SIZE = 2000

# (header, value of a person) — identifiers masked (PI-03/PI-05)
EXPORT_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("工号", lambda p: p.employee_no),
    ("姓名", lambda p: p.name),
    ("性别", lambda p: p.get_gender_display()),
    ("民族", lambda p: p.ethnicity),
    ("出生日期", lambda p: p.birth_date),
    ("学历", lambda p: p.get_education_display()),
    ("身份证号", lambda p: mask_citizen_id(p.citizen_id)),
    ("手机号", lambda p: mask_phone(p.phone)),
    ("岗位", lambda p: p.post),
    ("单位", lambda p: p.unit.name),
    ("一线职工", lambda p: "是" if p.is_front_line else "否"),
    ("政治面貌", lambda p: p.get_political_status_display()),
    ("所在党组织", lambda p: p.party_org.name),
    ("所在党小组", lambda p: p.party_group.name if p.party_group_id else ""),
    ("入党日期", lambda p: p.joined_party_on),
    ("转正日期", lambda p: p.regularised_on),
    ("党籍状态", lambda p: p.get_membership_status_display()),
    ("失联", lambda p: "是" if p.lost_contact else "否"),
    ("失联日期", lambda p: p.lost_contact_on),
    ("流动党员", lambda p: "是" if p.is_mobile else "否"),
    ("外出流向", lambda p: p.mobile_destination),
)
EXPORT_HEADERS = [header for header, _ in EXPORT_COLUMNS]


def export_params(query: Mapping[str, Any]) -> dict[str, Any]:
    """The list page's filter parameters (raw strings), kept in the job for the worker."""
    return {k: str(query.get(k))[:100] for k in FILTER_PARAMS if query.get(k) not in (None, "")}


def export_queryset(user: Any, params: Mapping[str, Any]) -> Any:
    filters = person_filters(params)
    return person_list(user=user, action="export", **filters).order_by("employee_no", "pk")


@register_export(EXPORT_KEY, "人员名单")
def export_persons(user: Any, params: dict[str, Any]) -> tuple[list[str], Iterable[Iterable[Any]]]:
    """Headers and a lazy row stream for the export job (scoped to ``user``)."""
    queryset = export_queryset(user, params)

    def rows() -> Iterator[list[Any]]:
        person: Person
        for person in queryset.iterator(chunk_size=CHUNK_SIZE):
            yield [value(person) for _, value in EXPORT_COLUMNS]

    return list(EXPORT_HEADERS), rows()
