"""Reads of the people registry, always scoped; display values masked unless revealed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db.models import CharField, Q, QuerySet, Subquery, Value
from django.db.models.functions import Concat
from django.utils import timezone

from dangjian.core.crypto import blind_index
from dangjian.core.identity import mask_citizen_id, mask_phone, mask_text
from dangjian.core.scope import grants_key, has_permission, restrict, scope_q
from dangjian.core.statements import Prepared, PreparedQuery
from dangjian.people.models import PARTY_MEMBER_STATUSES, Person, PersonChange

LIST_RELATED = ("unit", "party_org", "party_group")


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier (29 February falls back to the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _age_bounds(
    field: str, low: int | None, high: int | None, today: dt.date
) -> dict[str, dt.date]:
    """Filter kwargs so that whole years since ``field`` lie within [low, high]."""
    bounds: dict[str, dt.date] = {}
    if low is not None:
        bounds[f"{field}__lte"] = years_before(today, low)
    if high is not None:
        bounds[f"{field}__gt"] = years_before(today, high + 1)
    return bounds


def _in_subtree(fk: str, model: Any, node: Any) -> Q:
    """Persons whose ``fk`` lies under ``node`` (inclusive): a range on the indexed path column
    (``orgs.models.subtree_range``), which the database serves from the path index and then
    reads the persons through the foreign key index, instead of testing every person's path
    (LIKE 'x%': 0.5 s → 1 ms at 1M persons).

    ``node`` is a node already read (its path — and ``end``, if it has one — used as it is: a
    join on the range, the cheapest statement) or an id, whose path a scalar subquery reads
    inside the same statement (a missing node gives no persons).
    """
    from dangjian.orgs.models import PATH_END, subtree_range

    if not isinstance(node, int):
        return Q(**subtree_range(node.path, via=f"{fk}__", end=getattr(node, "end", None)))
    root = Subquery(model.objects.filter(pk=node).values("path")[:1])
    end = Concat(root, Value(PATH_END), output_field=CharField())
    ids = model.objects.filter(path__gte=root, path__lt=end).values_list("pk", flat=True)
    return Q(**{f"{fk}__in": ids})


def person_list(
    *,
    user: Any,
    action: str = "view",
    q: str = "",
    party_org: Any = None,
    unit: Any = None,
    political_status: str = "",
    is_front_line: bool | None = None,
    party_group: int | None = None,
    gender: str = "",
    education: str = "",
    age_min: int | None = None,
    age_max: int | None = None,
    party_age_min: int | None = None,
    party_age_max: int | None = None,
    membership_status: str = "",
    lost_contact: bool | None = None,
    is_mobile: bool | None = None,
    is_employed: bool | None = None,
    today: dt.date | None = None,
) -> QuerySet[Person]:
    """Persons the user may see, filtered. ``q`` matches name, 工号, or an exact ID/phone.

    Ages and 党龄 (counted from 转正, ``regularised_on``) are whole years on ``today``.
    ``political_status`` may be ``"party_member"`` for probationary and full members together.
    ``party_org`` and ``unit`` (each with its subtree) are ids, or nodes the caller read.
    """
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

        qs = qs.filter(_in_subtree("party_org", PartyOrg, party_org))
    if unit:
        from dangjian.orgs.models import Unit

        qs = qs.filter(_in_subtree("unit", Unit, unit))
    if party_group:
        qs = qs.filter(party_group_id=party_group)
    if political_status == "party_member":
        qs = qs.filter(political_status__in=PARTY_MEMBER_STATUSES)
    elif political_status:
        qs = qs.filter(political_status=political_status)
    if is_front_line is not None:
        qs = qs.filter(is_front_line=is_front_line)
    if gender:
        qs = qs.filter(gender=gender)
    if education:
        qs = qs.filter(education=education)
    if membership_status:
        qs = qs.filter(membership_status=membership_status)
    if lost_contact is not None:
        qs = qs.filter(lost_contact=lost_contact)
    if is_mobile is not None:
        qs = qs.filter(is_mobile=is_mobile)
    if is_employed is not None:
        qs = qs.filter(is_employed=is_employed)
    today = today or timezone.localdate()
    if age_min is not None or age_max is not None:
        qs = qs.filter(**_age_bounds("birth_date", age_min, age_max, today))
    if party_age_min is not None or party_age_max is not None:
        qs = qs.filter(**_age_bounds("regularised_on", party_age_min, party_age_max, today))
    return qs


class ChosenNode(NamedTuple):
    pk: int
    name: str
    path: str


class _Range(NamedTuple):
    """A chosen node's subtree bounds as two statement parameters (``person_list_prepared``)."""

    path: str
    end: str


# The person list's reads, compiled once per shape (core.statements): chosen nodes, count, rows.
_LIST_STATEMENTS = Prepared()


def chosen_nodes(*, user: Any, filters: Mapping[str, Any]) -> dict[str, ChosenNode]:
    """The organisation, party group and unit chosen in ``filters`` (``person_filters``), read
    through the scope filter — name and path; organisation and group in one statement. The list
    page shows their names and passes the paths to :func:`person_list`. Out of scope: absent
    (the filter then stays an id, and its subtree within the user's scope is empty)."""
    from dangjian.orgs.selectors import org_list, unit_list

    chosen: dict[str, ChosenNode] = {}
    scope = grants_key(user)
    org_ids = [filters[k] for k in ("party_org", "party_group") if filters.get(k)]
    if org_ids:
        rows = _LIST_STATEMENTS.rows(
            ("chosen-orgs", scope),
            lambda *ids: org_list(user=user).filter(pk__in=ids).values_list("pk", "name", "path"),
            org_ids,
        )
        found = {row[0]: ChosenNode(*row) for row in rows}
        for key in ("party_org", "party_group"):
            if filters.get(key) in found:
                chosen[key] = found[filters[key]]
    if filters.get("unit"):
        rows = _LIST_STATEMENTS.rows(
            ("chosen-unit", scope),
            lambda pk: unit_list(user=user).filter(pk=pk).values_list("pk", "name", "path")[:1],
            [filters["unit"]],
        )
        if rows:
            chosen["unit"] = ChosenNode(*rows[0])
    return chosen


# person_list arguments that reach the SQL as one exact parameter each (the rest — the
# search text, booleans, ages, "all party members" — decide the statement's shape instead)
_EXACT_FILTERS = frozenset(
    {"party_group", "gender", "education", "membership_status", "political_status"}
)


def person_list_prepared(
    *, user: Any, action: str = "view", **filters: Any
) -> PreparedQuery | QuerySet[Person]:
    """:func:`person_list` for a list page (count, order, one page of ``values_list`` rows),
    its statements compiled once per shape: the user's scope, which filters are set, order and
    page. A search (``q``) is not prepared: the plain queryset is returned."""
    if filters.get("q"):
        return person_list(user=user, action=action, **filters)
    fixed: dict[str, Any] = {}
    params: list[tuple[str, str]] = []  # (filter, "value" | "node")
    args: list[Any] = []
    for name, value in sorted(filters.items()):
        if value is None or value == "":
            continue
        if not value and (name in _EXACT_FILTERS or name in ("party_org", "unit")):
            continue  # person_list ignores a falsy id or choice (e.g. party_group=0) too
        if name in ("party_org", "unit") and not isinstance(value, int):
            from dangjian.orgs.models import subtree_range

            params.append((name, "node"))
            args += subtree_range(value.path).values()  # both bounds, as parameters
        elif (name in _EXACT_FILTERS or name in ("party_org", "unit")) and not (
            name == "political_status" and value == "party_member"
        ):
            params.append((name, "value"))
            args.append(value)
        else:
            fixed[name] = value
    if any(name.startswith(("age_", "party_age_")) for name in fixed):
        fixed.setdefault("today", timezone.localdate())

    def build(*values: Any) -> QuerySet[Person]:
        given = dict(fixed)
        stream = iter(values)
        for name, kind in params:
            given[name] = _Range(next(stream), next(stream)) if kind == "node" else next(stream)
        return person_list(user=user, action=action, **given)

    shape = ("person-list", action, grants_key(user), tuple(sorted(fixed.items())), tuple(params))
    return PreparedQuery(_LIST_STATEMENTS, shape, build, args)


# GET parameter -> kind, for list pages, drill-down links and exports (one parser for all).
FILTER_PARAMS: dict[str, str] = {
    "q": "text",
    "party_org": "int",
    "unit": "int",
    "party_group": "int",
    "political_status": "text",
    "is_front_line": "bool",
    "gender": "text",
    "education": "text",
    "age_min": "int",
    "age_max": "int",
    "party_age_min": "int",
    "party_age_max": "int",
    "membership_status": "text",
    "lost_contact": "bool",
    "is_mobile": "bool",
    "is_employed": "bool",
}
_TRUE = {"1", "true", "yes", "on", "是"}
_FALSE = {"0", "false", "no", "off", "否"}


def person_filters(params: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments for :func:`person_list` from a query string; bad values are ignored."""
    filters: dict[str, Any] = {}
    for name, kind in FILTER_PARAMS.items():
        raw = params.get(name)
        if raw is None:
            continue
        raw = str(raw).strip()
        if not raw:
            continue
        if kind == "int":
            if raw.isdigit() and len(raw) <= 9:
                filters[name] = int(raw)
        elif kind == "bool":
            if raw.lower() in _TRUE:
                filters[name] = True
            elif raw.lower() in _FALSE:
                filters[name] = False
        else:
            filters[name] = raw[:100]
    return filters


def person_get(
    *, user: Any, pk: int, action: str = "view", names_only: bool = False
) -> Person | None:
    """The person if in the user's scope for ``action``. ``names_only``: of the organisation,
    group and unit only the names are read (the detail page; half the columns to compile)."""

    def build(person_id: int) -> QuerySet[Person]:
        qs = Person.objects.select_related(*LIST_RELATED)
        if names_only:
            qs = qs.only(*_OWN_FIELDS, *(f"{name}__name" for name in LIST_RELATED))
        return restrict(qs, user, action).filter(pk=person_id).order_by("pk")[:1]

    shape = ("person-get", action, names_only, grants_key(user))
    found = _DETAIL_STATEMENTS.objects(shape, build, [int(pk)])
    return found[0] if found else None


# The person detail's reads, compiled once per shape (core.statements): person, history.
_DETAIL_STATEMENTS = Prepared()


_OWN_FIELDS = tuple(field.name for field in Person._meta.concrete_fields)


def person_may(*, user: Any, person: Person, action: str) -> bool:
    """May ``user`` ``action`` this person, which was read through the view scope? Without a
    query when the action's scope predicate is the view scope's (the usual case)."""
    if not has_permission(user, Person, action):
        return False
    wanted = scope_q(Person, user, action)
    if wanted is not None and wanted == scope_q(Person, user, "view"):
        return True
    return restrict(Person.objects.filter(pk=person.pk), user, action).exists()


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


def person_history(*, user: Any, person: Person, limit: int = 50) -> list[PersonChange]:
    """The latest changes of a person the user may see (empty without the permission)."""
    # entries carry their organisation and unit names as they were (no join needed)

    def build(person_id: int) -> QuerySet[PersonChange]:
        return restrict(PersonChange.objects.filter(person_id=person_id), user, "view")[:limit]

    shape = ("person-history", limit, grants_key(user))
    return _DETAIL_STATEMENTS.objects(shape, build, [person.pk])


@dataclass(frozen=True)
class ChangeLine:
    field: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class HistoryEntry:
    change: PersonChange
    lines: list[ChangeLine]


_RELATED_FIELDS = {"unit": "unit", "party_org": "org", "party_group": "org"}


def _display(field: str, value: Any, names: dict[tuple[str, Any], str]) -> str:
    if value is None or value == "":
        return "—"
    if field in _RELATED_FIELDS:
        return names.get((_RELATED_FIELDS[field], value), f"#{value}")
    if isinstance(value, bool):
        return "是" if value else "否"
    try:
        model_field = Person._meta.get_field(field)
    except Exception:  # sealed fields are descriptors, not model fields
        return str(value)
    flat = (
        getattr(model_field, "flatchoices", None) if getattr(model_field, "choices", None) else None
    )
    choices = dict(flat) if flat else {}
    return str(choices.get(value, value))


def _label(field: str) -> str:
    sealed = {"citizen_id": "身份证号", "phone": "手机号码", "address": "家庭住址"}
    if field in sealed:
        return sealed[field]
    try:
        return str(getattr(Person._meta.get_field(field), "verbose_name", field))
    except Exception:
        return field


def person_history_display(*, user: Any, person: Person, limit: int = 50) -> list[HistoryEntry]:
    """History with readable labels; organisation names resolved in two queries at most.

    Sensitive values were masked when the change was recorded; nothing here is decrypted.
    """
    from dangjian.orgs.models import PartyOrg, Unit

    changes = person_history(user=user, person=person, limit=limit)
    org_ids: set[Any] = set()
    unit_ids: set[Any] = set()
    for change in changes:
        for field, pair in (change.changes or {}).items():
            if field in _RELATED_FIELDS and isinstance(pair, list):
                target = unit_ids if field == "unit" else org_ids
                target.update(v for v in pair if v)
    names: dict[tuple[str, Any], str] = {}
    if org_ids:
        names.update(
            {
                ("org", pk): n
                for pk, n in PartyOrg.objects.filter(pk__in=org_ids).values_list("pk", "name")
            }
        )
    if unit_ids:
        names.update(
            {
                ("unit", pk): n
                for pk, n in Unit.objects.filter(pk__in=unit_ids).values_list("pk", "name")
            }
        )
    # Names as they were: each entry snapshots its organisation and unit names, so a "before"
    # value shows the name recorded by the previous entry, an "after" value its own.
    entries: list[HistoryEntry] = []
    seen: dict[tuple[str, Any], str] = {}
    for change in reversed(changes):
        now = {
            ("org", change.party_org_id): change.party_org_name,
            ("unit", change.unit_id): change.unit_name,
        }
        lines = []
        for field, pair in (change.changes or {}).items():
            before, after = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
            lines.append(
                ChangeLine(
                    field,
                    _label(field),
                    _display(field, before, {**names, **seen}),
                    _display(field, after, {**names, **seen, **now}),
                )
            )
        seen.update(now)
        entries.append(HistoryEntry(change, lines))
    entries.reverse()
    return entries
