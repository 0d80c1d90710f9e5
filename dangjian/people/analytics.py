"""Structure analytics of the people registry (issue 2 §3): set-based, scoped selectors.

Every figure is computed from the persons the user may see (``restrict(..., "view")``) with
aggregate queries whose number does not depend on the amount of data: front-line members per
production unit against ``org.front_line_member_target``, blank teams (no Party member), members
per Party group, and age / 党龄 / education / gender distributions. Each figure carries the
people-list filters (``drill``) that list exactly the persons behind it.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db.models import Count, Exists, Field, Model, OuterRef, Q
from django.utils import timezone

from dangjian.core.memo import remember
from dangjian.core.rules import rule
from dangjian.core.scope import restrict
from dangjian.orgs.models import PartyOrg, Unit
from dangjian.people.models import PARTY_MEMBER_STATUSES, Education, Gender, Person
from dangjian.people.selectors import years_before

MEMBER = "party_member"  # person_list's value for probationary + full members
AGE_BANDS: tuple[tuple[str, int | None, int | None], ...] = (
    ("30岁及以下", None, 30),
    ("31–40岁", 31, 40),
    ("41–50岁", 41, 50),
    ("51–60岁", 51, 60),
    ("60岁以上", 61, None),
)
PARTY_AGE_BANDS: tuple[tuple[str, int | None, int | None], ...] = (
    ("不满5年", 0, 4),
    ("5–10年", 5, 10),
    ("11–20年", 11, 20),
    ("21–30年", 21, 30),
    ("30年以上", 31, None),
)


@dataclass(frozen=True)
class Figure:
    """One bar or slice: label, value and the people-list filters behind it."""

    label: str
    value: float
    drill: dict[str, Any]
    count: int = 0  # denominator where ``value`` is a ratio
    flag: bool = False  # e.g. below target


@dataclass
class Structure:
    target: float
    front_line: list[Figure] = field(default_factory=list)
    teams_total: int = 0
    blank_teams: list[Figure] = field(default_factory=list)
    groups: list[Figure] = field(default_factory=list)
    ages: list[Figure] = field(default_factory=list)
    party_ages: list[Figure] = field(default_factory=list)
    education: list[Figure] = field(default_factory=list)
    gender: list[Figure] = field(default_factory=list)
    members_total: int = 0


def _active(today: dt.date) -> Q:
    return Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=today)


def _band_q(name: str, low: int | None, high: int | None, today: dt.date) -> Q:
    """Whole years since ``name`` within [low, high] (same bounds as ``person_list``)."""
    q = Q()
    if low is not None:
        q &= Q(**{f"{name}__lte": years_before(today, low)})
    if high is not None:
        q &= Q(**{f"{name}__gt": years_before(today, high + 1)})
    return q


def _band_drill(prefix: str, low: int | None, high: int | None) -> dict[str, Any]:
    drill: dict[str, Any] = {"political_status": MEMBER}
    if low is not None:
        drill[f"{prefix}_min"] = low
    if high is not None:
        drill[f"{prefix}_max"] = high
    return drill


def front_line_ratios(*, user: Any, today: dt.date | None = None) -> tuple[float, list[Figure]]:
    """Party members as a share of front-line workers per production workshop (2 queries)."""
    today = today or timezone.localdate()
    target = float(rule("org.front_line_member_target"))
    per_unit = (
        restrict(Person.objects.all(), user, "view")
        .filter(is_front_line=True)
        .values("unit__path")
        .annotate(
            front=Count("pk"),
            members=Count("pk", filter=Q(political_status__in=PARTY_MEMBER_STATUSES)),
        )
        .order_by()
    )
    totals: dict[str, list[int]] = {}
    rows = list(per_unit)
    if not rows:
        return target, []
    workshops = {
        path: (pk, name)
        for pk, name, path in Unit.objects.filter(
            _active(today), kind=Unit.Kind.WORKSHOP, is_production=True
        ).values_list("pk", "name", "path")
    }
    for row in rows:
        path = row["unit__path"] or ""
        prefixes = [path[: i + 1] for i, ch in enumerate(path) if ch == "."]
        match = next((p for p in reversed(prefixes) if p in workshops), None)
        if match is None:
            continue
        bucket = totals.setdefault(match, [0, 0])
        bucket[0] += row["front"]
        bucket[1] += row["members"]
    figures = []
    for path, (front, members) in sorted(totals.items()):
        pk, name = workshops[path]
        ratio = members / front if front else 0.0
        figures.append(
            Figure(
                label=name,
                value=round(ratio * 100, 1),
                count=front,
                flag=ratio < target,
                drill={"unit": pk, "is_front_line": 1, "political_status": MEMBER},
            )
        )
    return target, figures


def blank_teams(*, user: Any, today: dt.date | None = None) -> tuple[int, list[Figure]]:
    """Teams in scope with no Party member (班队无党员), and how many teams there are (1 query)."""
    today = today or timezone.localdate()
    has_member = Person.objects.filter(
        unit=OuterRef("pk"), political_status__in=PARTY_MEMBER_STATUSES
    )
    teams = list(
        restrict(Unit.objects.filter(_active(today), kind=Unit.Kind.TEAM), user, "view")
        .annotate(covered=Exists(has_member))
        .values_list("pk", "name", "parent__name", "covered")
        .order_by("path")
    )
    blank = [
        Figure(label=f"{parent}/{name}" if parent else name, value=0, drill={"unit": pk})
        for pk, name, parent, covered in teams
        if not covered
    ]
    return len(teams), blank


def members_per_group(*, user: Any, today: dt.date | None = None) -> list[Figure]:
    """Party members in each Party group the user sees, including empty groups (2 queries)."""
    today = today or timezone.localdate()
    counts = dict(
        restrict(Person.objects.all(), user, "view")
        .filter(political_status__in=PARTY_MEMBER_STATUSES, party_group__isnull=False)
        .values("party_group_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("party_group_id", "n")
    )
    groups = list(
        restrict(PartyOrg.objects.filter(_active(today), kind=PartyOrg.Kind.GROUP), user, "view")
        .order_by("path")
        .values_list("pk", "name")
    )
    seen = {pk for pk, _ in groups}
    extra = [pk for pk in counts if pk not in seen]
    if extra:  # members of groups outside the org scope but visible as persons
        groups += list(PartyOrg.objects.filter(pk__in=extra).values_list("pk", "name"))
    return [
        Figure(
            label=name,
            value=counts.get(pk, 0),
            drill={"party_group": pk, "political_status": MEMBER},
        )
        for pk, name in groups
    ]


def distributions(*, user: Any, today: dt.date | None = None) -> dict[str, Any]:
    """Age, 党龄, education and gender of the Party members in scope, in one aggregate query."""
    today = today or timezone.localdate()
    aggregates: dict[str, Any] = {"total": Count("pk")}
    for index, (_, low, high) in enumerate(AGE_BANDS):
        aggregates[f"age{index}"] = Count("pk", filter=_band_q("birth_date", low, high, today))
    for index, (_, low, high) in enumerate(PARTY_AGE_BANDS):
        aggregates[f"party{index}"] = Count(
            "pk", filter=_band_q("regularised_on", low, high, today)
        )
    aggregates["party_none"] = Count("pk", filter=Q(regularised_on__isnull=True))
    for code in Education.values:
        aggregates[f"edu_{code}"] = Count("pk", filter=Q(education=code))
    aggregates["edu_none"] = Count("pk", filter=Q(education=""))
    for code in Gender.values:
        aggregates[f"gender_{code}"] = Count("pk", filter=Q(gender=code))
    totals = (
        restrict(Person.objects.all(), user, "view")
        .filter(political_status__in=PARTY_MEMBER_STATUSES)
        .aggregate(**aggregates)
    )
    ages = [
        Figure(label, totals[f"age{i}"], _band_drill("age", low, high))
        for i, (label, low, high) in enumerate(AGE_BANDS)
    ]
    party_ages = [
        Figure(label, totals[f"party{i}"], _band_drill("party_age", low, high))
        for i, (label, low, high) in enumerate(PARTY_AGE_BANDS)
    ]
    if totals["party_none"]:
        party_ages.append(
            Figure("未转正/未填", totals["party_none"], {"political_status": "probationary"})
        )
    education = [
        Figure(str(label), totals[f"edu_{code}"], {"political_status": MEMBER, "education": code})
        for code, label in Education.choices
    ]
    if totals["edu_none"]:
        education.append(Figure("未填写", totals["edu_none"], {"political_status": MEMBER}))
    gender = [
        Figure(str(label), totals[f"gender_{code}"], {"political_status": MEMBER, "gender": code})
        for code, label in Gender.choices
    ]
    return {
        "total": totals["total"],
        "ages": ages,
        "party_ages": party_ages,
        "education": education,
        "gender": gender,
    }


def structure(*, user: Any, today: dt.date | None = None) -> Structure:
    """Everything the analytics page shows, in a fixed number of queries."""
    today = today or timezone.localdate()
    target, front_line = front_line_ratios(user=user, today=today)
    teams_total, blank = blank_teams(user=user, today=today)
    dist = distributions(user=user, today=today)
    return Structure(
        target=target,
        front_line=front_line,
        teams_total=teams_total,
        blank_teams=blank,
        groups=members_per_group(user=user, today=today),
        ages=dist["ages"],
        party_ages=dist["party_ages"],
        education=dist["education"],
        gender=dist["gender"],
        members_total=dist["total"],
    )


# ---- cached page figures (docs/decisions.md: "Structure analytics at scale") ---------------
DISPLAY_LIMIT = 100  # rows per figure on the page; the Excel export has them all
LISTS = ("front_line", "blank_teams", "groups", "ages", "party_ages", "education", "gender")


@dataclass
class PageStructure:
    """What the page shows: figures capped at ``DISPLAY_LIMIT`` rows each, the full counts in
    ``totals``, and when the figures were computed (``computed_at``)."""

    data: Structure
    totals: dict[str, int]
    below_target: list[Figure]
    below_target_total: int
    computed_at: dt.datetime
    cached: bool = False
    token: str = ""  # names one computation (stored with its snapshot); "" when not stored


def scope_key(user: Any) -> str:
    """Digest of the user's view predicates on the tables the figures read: equal digests
    see exactly the same rows, so they may share figures."""
    import hashlib

    from dangjian.core.scope import scope_q

    parts = [str(scope_q(model, user, "view")) for model in (Person, Unit, PartyOrg)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _figure_dict(figure: Figure) -> dict[str, Any]:
    return {
        "label": figure.label,
        "value": figure.value,
        "drill": [[k, v] for k, v in figure.drill.items()],  # pairs: jsonb reorders keys
        "count": figure.count,
        "flag": figure.flag,
    }


def _to_json(page: PageStructure) -> dict[str, Any]:
    data = page.data
    return {
        "target": data.target,
        "teams_total": data.teams_total,
        "members_total": data.members_total,
        "lists": {name: [_figure_dict(f) for f in getattr(data, name)] for name in LISTS},
        "totals": page.totals,
        "below_target": [_figure_dict(f) for f in page.below_target],
        "below_target_total": page.below_target_total,
        "token": page.token,
        "computed_at": page.computed_at.isoformat(),
    }


def _figure(raw: dict[str, Any]) -> Figure:
    return Figure(**{**raw, "drill": {k: v for k, v in raw["drill"]}})


def _from_json(raw: dict[str, Any], computed_at: dt.datetime) -> PageStructure:
    lists = {name: [_figure(f) for f in raw["lists"][name]] for name in LISTS}
    data = Structure(
        target=raw["target"],
        teams_total=raw["teams_total"],
        members_total=raw["members_total"],
        **lists,
    )
    return PageStructure(
        data=data,
        totals=raw["totals"],
        below_target=[_figure(f) for f in raw["below_target"]],
        below_target_total=raw["below_target_total"],
        computed_at=computed_at,
        cached=True,
        token=raw.get("token", ""),
    )


def _capped(full: Structure, limit: int, computed_at: dt.datetime) -> PageStructure:
    below = [f for f in full.front_line if f.flag]
    front_line = full.front_line
    if len(front_line) > limit:  # the units below target first: they are what needs action
        front_line = below[:limit] + [f for f in front_line if not f.flag][: limit - len(below)]
        front_line = front_line[:limit]
    data = Structure(
        target=full.target,
        teams_total=full.teams_total,
        members_total=full.members_total,
        front_line=front_line,
        **{name: getattr(full, name)[:limit] for name in LISTS if name != "front_line"},
    )
    return PageStructure(
        data=data,
        totals={name: len(getattr(full, name)) for name in LISTS},
        below_target=below[:limit],
        below_target_total=len(below),
        computed_at=computed_at,
    )


@dataclass
class SnapshotLookup:
    version: str  # the data version now
    max_age: int  # rule people.analytics_cache_minutes
    snapshot_version: str | None  # the scope's stored snapshot, if any
    snapshot_raw: Any  # its JSON as the database returned it (text), decoded on demand

    @cached_property
    def snapshot(self) -> dict[str, Any] | None:
        return None if self.snapshot_raw is None else _json(self.snapshot_raw)


def snapshot_lookup(
    snapshot_model: type[Model], key: str, today: dt.date, *, fmt: str
) -> SnapshotLookup:
    """ONE query of index lookups (constant at any size; each ORM query costs more than this
    whole statement): the data version, the cache-age rule and the scope's stored snapshot of
    ``snapshot_model`` (scope_key, version, data), for the home page and structure analytics.
    ``fmt`` names the shape of the stored JSON and is part of the version.

    The data version names the date, the highest ids of the tables the figures read (every
    person write through the services adds a
    ``PersonChange``, every organisation change an ``OrgEvent``; new persons, organisations and
    units raise their tables' highest id) and the newest rule change (the front-line target and
    the member-count and term checks read their limits from rules; rule pages save the row,
    which moves ``updated_at``). Changes that leave none of these traces show after at most
    ``people.analytics_cache_minutes``.
    """
    from django.db import connection

    from dangjian.core.models import Rule
    from dangjian.core.rules import DEFAULT_RULES
    from dangjian.orgs.models import OrgEvent
    from dangjian.people.models import PersonChange

    quote = connection.ops.quote_name
    rule_key, rule_value, rule_at = (_column(Rule, name) for name in ("key", "value", "updated_at"))
    # (value, table, condition) of each scalar subquery; names come from the models only
    lookups = [
        (f"MAX({quote(model._meta.pk.column)})", model._meta.db_table, "")
        for model in (Person, PersonChange, PartyOrg, Unit, OrgEvent)
    ]
    lookups += [
        ("COUNT(*)", Rule._meta.db_table, ""),
        (f"MAX({rule_at})", Rule._meta.db_table, ""),
        (rule_value, Rule._meta.db_table, f" WHERE {rule_key} = %s"),
    ]
    scalars = ", ".join(f"(SELECT {v} FROM {quote(t)}{c})" for v, t, c in lookups)  # noqa: S608
    snap_version, snap_data, snap_key = (
        _column(snapshot_model, name) for name in ("version", "data", "scope_key")
    )
    snap_table = quote(snapshot_model._meta.db_table)
    sql = (
        f"SELECT {scalars}, s.{snap_version}, s.{snap_data} FROM (SELECT 1 AS one) base"  # noqa: S608
        f" LEFT JOIN {snap_table} s ON s.{snap_key} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, ["people.analytics_cache_minutes", key])
        row = cursor.fetchone()
    *version_parts, max_age, snapshot_version, data = row
    max_age = (
        DEFAULT_RULES["people.analytics_cache_minutes"][2] if max_age is None else _json(max_age)
    )
    return SnapshotLookup(
        version=f"{fmt}|{today.isoformat()}|" + ".".join(str(v or "") for v in version_parts),
        max_age=int(max_age),
        snapshot_version=snapshot_version,
        snapshot_raw=data,
    )


def _column(model: type[Model], name: str) -> str:
    from django.db import connection

    field = model._meta.get_field(name)
    assert isinstance(field, Field)
    return connection.ops.quote_name(field.column)


def _json(value: Any) -> Any:
    """A JSON column read by a raw query: text on SQLite and PostgreSQL (Django's setting)."""
    return json.loads(value) if isinstance(value, str | bytes) else value


# Decoded snapshots by their stored JSON text: decoding ~50 KB of figures on every request
# cost more than the rest of the page; a stored snapshot never changes (a new one is a new
# row with a new token), so equal text means an equal page. Callers must not modify it.
_decoded: dict[Hashable, PageStructure] = {}
DECODED_CACHE_SIZE = 64


def _decoded_snapshot(found: SnapshotLookup) -> PageStructure:
    raw = found.snapshot_raw
    key = raw if isinstance(raw, str) else json.dumps(raw, sort_keys=True)

    def decode() -> PageStructure:
        data = found.snapshot
        assert data is not None
        return _from_json(data, dt.datetime.fromisoformat(data["computed_at"]))

    return remember(_decoded, key, decode, limit=DECODED_CACHE_SIZE)


SNAPSHOT_FORMAT = "a2"  # part of the data version: bump when the stored JSON changes shape


def page_structure(*, user: Any, today: dt.date | None = None) -> PageStructure:
    """The page's figures for ``user``: from the snapshot of the same scope and data version
    when it is younger than ``people.analytics_cache_minutes``, else computed and stored."""
    from django.db import IntegrityError, transaction

    from dangjian.people.models import AnalyticsSnapshot

    today = today or timezone.localdate()
    now = timezone.now()
    key = scope_key(user)
    found = snapshot_lookup(AnalyticsSnapshot, key, today, fmt=SNAPSHOT_FORMAT)
    if found.max_age <= 0:
        return _capped(structure(user=user, today=today), DISPLAY_LIMIT, now)
    if found.snapshot_raw is not None and found.snapshot_version == found.version:
        cached = _decoded_snapshot(found)
        if dt.timedelta(0) <= now - cached.computed_at < dt.timedelta(minutes=found.max_age):
            return cached
    page = _capped(structure(user=user, today=today), DISPLAY_LIMIT, now)
    page.token = uuid.uuid4().hex
    try:  # replace, in the same two statements whether or not a snapshot existed
        with transaction.atomic():
            AnalyticsSnapshot.objects.filter(scope_key=key).delete()
            AnalyticsSnapshot.objects.create(
                scope_key=key, version=found.version, computed_at=now, data=_to_json(page)
            )
    except IntegrityError:  # another process stored the same scope first: theirs is as good
        pass
    return page
