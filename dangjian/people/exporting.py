"""Excel export of persons (issue 2 §3; SECURITY.md PI-05, IN-07, RIP-02).

Registered with :mod:`dangjian.core.exports` as ``people.persons``: the background job calls
:func:`export_persons` with the job owner and the list page's query-string filters, so an export
holds exactly what the owner sees in the list (``person_list`` with action ``export``, which
passes through the scope filter). Identifiers are always masked (no unmasked export in this
issue); the core writer neutralises formula-like cells and streams into the workbook while the
rows come from ``iterator(chunk_size=CHUNK_SIZE)``, so memory stays flat.

Speed (1M rows in minutes, not the better part of an hour): rows are read as plain tuples
(``values_list``, the names of unit, organisation and group joined in the same query) instead
of model instances, choice labels come from dicts, and the two sealed identifiers are opened
with a key ring read once per export — still a full authenticated SM4-GCM decryption bound to
the row's uid and field, exactly as ``Person.citizen_id`` does, before masking. No plaintext or
partial plaintext is stored anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from dangjian.core import crypto
from dangjian.core.exports import CountedRows, register_export
from dangjian.core.identity import mask_citizen_id, mask_phone
from dangjian.people.models import (
    Education,
    Gender,
    MembershipStatus,
    Person,
    PoliticalStatus,
    sealed_aad,
)
from dangjian.people.selectors import FILTER_PARAMS, person_filters, person_list

EXPORT_KEY = "people.persons"
CHUNK_SIZE = 5000

_GENDER = dict(Gender.choices)
_EDUCATION = dict(Education.choices)
_POLITICAL = dict(PoliticalStatus.choices)
_MEMBERSHIP = dict(MembershipStatus.choices)


def _label(labels: dict[str, str]) -> Callable[[str], str]:
    """``get_FOO_display`` without the model: the label, or the stored value if unknown."""
    return lambda value: labels.get(value, value)


def _yes_no(value: bool) -> str:
    return "是" if value else "否"


# (header, column read with values_list, how the value is shown); the two sealed identifiers
# are opened and masked separately (PI-03/PI-05)
EXPORT_COLUMNS: tuple[tuple[str, str, Callable[[Any], Any] | None], ...] = (
    ("工号", "employee_no", None),
    ("姓名", "name", None),
    ("性别", "gender", _label(_GENDER)),
    ("民族", "ethnicity", None),
    ("出生日期", "birth_date", None),
    ("学历", "education", _label(_EDUCATION)),
    ("身份证号", "citizen_id_sealed", mask_citizen_id),
    ("手机号", "phone_sealed", mask_phone),
    ("岗位", "post", None),
    ("单位", "unit__name", None),
    ("一线职工", "is_front_line", _yes_no),
    ("政治面貌", "political_status", _label(_POLITICAL)),
    ("所在党组织", "party_org__name", None),
    ("所在党小组", "party_group__name", lambda name: name or ""),
    ("入党日期", "joined_party_on", None),
    ("转正日期", "regularised_on", None),
    ("党籍状态", "membership_status", _label(_MEMBERSHIP)),
    ("失联", "lost_contact", _yes_no),
    ("失联日期", "lost_contact_on", None),
    ("流动党员", "is_mobile", _yes_no),
    ("外出流向", "mobile_destination", None),
)
EXPORT_HEADERS = [header for header, _, _ in EXPORT_COLUMNS]
_SEALED_FIELDS = {"citizen_id_sealed": "citizen_id", "phone_sealed": "phone"}


def export_params(query: Mapping[str, Any]) -> dict[str, Any]:
    """The list page's filter parameters (raw strings), kept in the job for the worker."""
    return {k: str(query.get(k))[:100] for k in FILTER_PARAMS if query.get(k) not in (None, "")}


def export_queryset(user: Any, params: Mapping[str, Any]) -> Any:
    filters = person_filters(params)
    return person_list(user=user, action="export", **filters).order_by("employee_no", "pk")


class SealedReader:
    """Open sealed values of ``Person`` rows with one key ring for the whole export.

    Same check as the ``SealedValue`` descriptor (SM4-GCM, AAD ``table:uid:field``): an altered
    or moved value raises ``InvalidTag``. If a value carries a key version the ring does not
    know yet (``keys rotate`` ran during the export), the ring is read again once.
    """

    def __init__(self) -> None:
        self.ring = crypto.keyring()
        self.table = Person._meta.db_table

    def open(self, sealed: bytes | memoryview | None, uid: Any, field: str) -> str:
        if not sealed:
            return ""
        sealed = bytes(sealed)
        aad = sealed_aad(self.table, uid, field)
        if sealed[0] not in self.ring.enc:
            self.ring = crypto.keyring()
        return crypto.open_sealed(sealed, aad, self.ring)


def person_rows(queryset: Any) -> Iterator[list[Any]]:
    """Export rows of ``queryset`` (already scoped), in its order, identifiers masked."""
    fields = ["uid", *(field for _, field, _ in EXPORT_COLUMNS)]
    reader = SealedReader()
    plan: list[tuple[int, Callable[[Any], Any] | None, str | None]] = [
        (index, show, _SEALED_FIELDS.get(field))
        for index, (_, field, show) in enumerate(EXPORT_COLUMNS, start=1)
    ]
    for values in queryset.values_list(*fields).iterator(chunk_size=CHUNK_SIZE):
        uid = values[0]
        row: list[Any] = []
        for index, show, sealed_field in plan:
            value = values[index]
            if sealed_field is not None:
                value = reader.open(value, uid, sealed_field)
            row.append(show(value) if show is not None else value)
        yield row


@register_export(EXPORT_KEY, "人员名单")
def export_persons(user: Any, params: dict[str, Any]) -> tuple[list[str], Iterable[Iterable[Any]]]:
    """Headers and a lazy row stream for the export job (scoped to ``user``)."""
    queryset = export_queryset(user, params)
    return list(EXPORT_HEADERS), CountedRows(person_rows(queryset), queryset.count)
