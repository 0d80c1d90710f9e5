"""Writes to the organisation trees: create, profile, rename, move, merge, split, dissolve, 换届.

Every service runs in one transaction, re-checks the actor's scope on the rows it wrote
(AC-04: a result outside the scope rolls everything back), records an ``OrgEvent`` so that the
organisation "as it was" stays known, and writes the audit trail. People follow restructuring
through the restructure hooks in ``dangjian.core.registries`` (implemented by the people app),
so this module never imports people.

Subtrees move with ONE ``UPDATE`` that rewrites the path prefix (``Concat`` + ``Substr``):
the cost is one statement whatever the subtree size (docs/decisions-orgs.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from dangjian.audit.services import audit_record
from dangjian.core.registries import restructure_hooks
from dangjian.core.rules import rule
from dangjian.core.scope import assert_in_scope, restrict
from dangjian.orgs.models import OrgEvent, PartyOrg, Unit, path_segment

Kind = PartyOrg.Kind

# Which kinds may hang under which (None: a root). A group is always a leaf under a branch,
# which is what lets member counts of a branch include its groups by path prefix.
ALLOWED_PARENTS: dict[str, set[str | None]] = {  # keys: PartyOrg.Kind values
    Kind.COMMITTEE: {None, Kind.COMMITTEE},
    Kind.GENERAL_BRANCH: {Kind.COMMITTEE},
    Kind.BRANCH: {Kind.COMMITTEE, Kind.GENERAL_BRANCH},
    Kind.GROUP: {Kind.BRANCH},
}
PARENT_RULE_TEXT: dict[str, str] = {
    Kind.COMMITTEE: "党委只能作为根组织或设在上级党委之下",
    Kind.GENERAL_BRANCH: "党总支只能设在党委之下",
    Kind.BRANCH: "党支部只能设在党委或党总支之下",
    Kind.GROUP: "党小组只能设在党支部之下",
}

# The national minimum profile of an organisation (RULES.md "Enterprise specifics").
PROFILE_FIELDS = (
    "name",
    "code",
    "category",
    "unit_situation",
    "secretary_name",
    "contact_name",
    "contact_phone",
    "established_on",
    "has_committee",
    "term_started_on",
    "term_ends_on",
)
UNIT_FIELDS = ("name", "kind", "parent", "is_production", "party_org", "dissolved_on", "sort_order")

T = TypeVar("T", PartyOrg, Unit)


class StaleVersion(Exception):
    """The organisation was changed by someone else since the form was read."""


# --- helpers ------------------------------------------------------------------------------


def _value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    return value


def _check_parent(kind: str, parent: PartyOrg | None) -> None:
    if kind not in ALLOWED_PARENTS:
        raise ValidationError({"kind": ["组织类型不正确。"]})
    parent_kind = parent.kind if parent is not None else None
    if parent_kind not in ALLOWED_PARENTS[kind]:
        raise ValidationError({"parent": [f"{PARENT_RULE_TEXT[kind]}。"]})
    if parent is not None and not parent.is_active:
        raise ValidationError({"parent": ["上级组织已撤销。"]})


def _check_date(effective_on: dt.date) -> None:
    if effective_on > timezone.localdate():
        raise ValidationError({"effective_on": ["生效日期不能晚于今天。"]})


def _locked(model: type[T], obj: T, actor: Any, action: str = "change") -> T:
    """Re-read the row under a lock, through the scope filter; refuse if outside scope."""
    qs = restrict(model.objects.select_for_update(of=("self",)), actor, action)  # type: ignore[attr-defined]
    found = qs.filter(pk=obj.pk).first()
    if found is None:
        raise PermissionDenied("该操作超出您的数据权限范围。")
    return found  # type: ignore[no-any-return]


def _move_subtree(model: type[T], node: T, new_prefix: str, new_depth: int) -> int:
    """Rewrite the path of ``node`` and everything below it in ONE statement."""
    old_prefix = node.path
    return model.objects.filter(path__startswith=old_prefix).update(  # type: ignore[attr-defined,no-any-return]
        path=Concat(Value(new_prefix), Substr("path", len(old_prefix) + 1)),
        depth=F("depth") + (new_depth - node.depth),
    )


def _reparent_children(source: PartyOrg, target: PartyOrg, child_ids: Iterable[int]) -> int:
    """Move the given direct children of ``source`` (with their subtrees) under ``target``."""
    children = list(PartyOrg.objects.filter(parent=source, pk__in=list(child_ids)))
    if not children:
        return 0
    for child in children:
        _check_parent(child.kind, target)
    match = Q()
    for child in children:
        match |= Q(path__startswith=child.path)
    moved = PartyOrg.objects.filter(match).update(
        path=Concat(Value(target.path), Substr("path", len(source.path) + 1)),
        depth=F("depth") + (target.depth - source.depth),
    )
    PartyOrg.objects.filter(pk__in=[c.pk for c in children]).update(
        parent=target, version=F("version") + 1
    )
    return moved


def _run_hooks(
    *,
    source: PartyOrg,
    target: PartyOrg,
    person_ids: list[int] | None,
    group_ids: list[int] | None,
    effective_on: dt.date,
    reason: str,
    actor: Any,
) -> None:
    for hook in restructure_hooks():
        hook(
            source=source,
            target=target,
            person_ids=person_ids,
            group_ids=group_ids,
            effective_on=effective_on,
            reason=reason,
            actor=actor,
        )


def _has_people(org: PartyOrg) -> bool:
    """Persons attached to the organisation (read through the reverse relations)."""
    return bool(
        PartyOrg.objects.filter(pk=org.pk)
        .filter(Q(persons__isnull=False) | Q(group_persons__isnull=False))
        .exists()
    )


def _bump(org: PartyOrg, **changes: Any) -> None:
    PartyOrg.objects.filter(pk=org.pk).update(version=F("version") + 1, **changes)


# --- create and profile -------------------------------------------------------------------


def _clean_profile(
    data: dict[str, Any], *, parent: PartyOrg | None, instance: PartyOrg | None
) -> None:
    errors: dict[str, list[str]] = {}
    name = (data.get("name") or "").strip() if "name" in data else None
    if name is not None:
        if not name:
            errors.setdefault("name", []).append("请填写组织名称。")
        else:
            data["name"] = name
            siblings = PartyOrg.objects.filter(parent=parent, name=name, dissolved_on__isnull=True)
            if instance is not None:
                siblings = siblings.exclude(pk=instance.pk)
            if siblings.exists():
                errors.setdefault("name", []).append("同一上级组织下已有同名的组织。")
    started, ends = data.get("term_started_on"), data.get("term_ends_on")
    if instance is not None:
        started = data.get("term_started_on", instance.term_started_on)
        ends = data.get("term_ends_on", instance.term_ends_on)
    if started and ends and ends <= started:
        errors.setdefault("term_ends_on", []).append("任期届满日期须晚于任期开始日期。")
    established = data.get("established_on")
    if established and established > timezone.localdate():
        errors.setdefault("established_on", []).append("成立日期不能晚于今天。")
    if errors:
        raise ValidationError(errors)


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
    _check_parent(kind, parent)
    data = {"name": name, **fields}
    _clean_profile(data, parent=parent, instance=None)
    org = PartyOrg(kind=kind, parent=parent, **data)
    org.save()
    org.compute_path()
    org.save(update_fields=["path", "depth"])
    OrgEvent.objects.create(
        org=org,
        kind=OrgEvent.Kind.CREATE,
        effective_on=effective_on or org.established_on or timezone.localdate(),
        new_name=org.name,
        new_parent=parent,
    )
    assert_in_scope(org, actor, "add")
    changes = {"name": [None, org.name], "kind": [None, kind], "parent": [None, _value(parent)]}
    changes.update({k: [None, _value(v)] for k, v in fields.items() if v not in (None, "")})
    audit_record("create", obj=org, changes=changes, actor=actor)
    return org


@transaction.atomic
def org_update(
    *,
    actor: Any,
    org: PartyOrg,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> PartyOrg:
    """Change profile fields (the national 10). A new name is recorded as a rename today."""
    current = _locked(PartyOrg, org, actor)
    if expected_version is not None and current.version != expected_version:
        raise StaleVersion("该组织信息已被他人修改，请刷新后重试。")
    unknown = set(data) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")
    data = dict(data)
    _clean_profile(data, parent=current.parent, instance=current)
    changes = {
        k: [_value(getattr(current, k)), _value(v)]
        for k, v in data.items()
        if getattr(current, k) != v
    }
    if not changes:
        return current
    if "name" in changes:
        OrgEvent.objects.create(
            org=current,
            kind=OrgEvent.Kind.RENAME,
            effective_on=timezone.localdate(),
            old_name=current.name,
            new_name=data["name"],
        )
    others = [key for key in changes if key != "name"]
    if others:
        # in the history, and a new event moves the data version of the home page and the
        # structure analytics (committee and term warnings show at once, not after the
        # snapshots' maximum age)
        labels = [
            str(getattr(PartyOrg._meta.get_field(key), "verbose_name", key)) for key in others
        ]
        OrgEvent.objects.create(
            org=current,
            kind=OrgEvent.Kind.UPDATE,
            effective_on=timezone.localdate(),
            note="变更：" + "、".join(labels),
        )
    for key, value in data.items():
        setattr(current, key, value)
    current.version += 1
    current.save()
    assert_in_scope(current, actor, "change")
    audit_record("update", obj=current, changes=changes, actor=actor)
    return current


@transaction.atomic
def org_rename(
    *, actor: Any, org: PartyOrg, new_name: str, effective_on: dt.date, note: str = ""
) -> PartyOrg:
    """更名: the old name stays valid for everything dated before ``effective_on``."""
    current = _locked(PartyOrg, org, actor)
    new_name = (new_name or "").strip()
    _check_date(effective_on)
    if not new_name:
        raise ValidationError({"new_name": ["请填写新名称。"]})
    if new_name == current.name:
        raise ValidationError({"new_name": ["新名称与现名称相同。"]})
    last = (
        OrgEvent.objects.filter(org=current, kind=OrgEvent.Kind.RENAME)
        .order_by("-effective_on")
        .values_list("effective_on", flat=True)
        .first()
    )
    if last is not None and effective_on < last:
        raise ValidationError(
            {"effective_on": [f"生效日期不能早于上次更名日期（{last:%Y-%m-%d}）。"]}
        )
    _clean_profile({"name": new_name}, parent=current.parent, instance=current)
    OrgEvent.objects.create(
        org=current,
        kind=OrgEvent.Kind.RENAME,
        effective_on=effective_on,
        old_name=current.name,
        new_name=new_name,
        note=note,
    )
    old_name = current.name
    _bump(current, name=new_name)
    current.refresh_from_db()
    assert_in_scope(current, actor, "change")
    audit_record(
        "restructure",
        obj=current,
        changes={"kind": "rename", "name": [old_name, new_name], "effective_on": str(effective_on)},
        reason=note,
        actor=actor,
    )
    return current


# --- restructuring ------------------------------------------------------------------------


@transaction.atomic
def org_move(
    *,
    actor: Any,
    org: PartyOrg,
    new_parent: PartyOrg,
    effective_on: dt.date,
    note: str = "",
) -> PartyOrg:
    """调整隶属: re-parent ``org``; its whole subtree's paths change in one UPDATE."""
    current = _locked(PartyOrg, org, actor)
    parent = _locked(PartyOrg, new_parent, actor)
    _check_date(effective_on)
    if current.parent_id is None:
        raise ValidationError({"new_parent": ["根组织不能调整隶属。"]})
    if parent.path.startswith(current.path):
        raise ValidationError({"new_parent": ["不能把组织调整到它自己或其下级组织之下。"]})
    if parent.pk == current.parent_id:
        raise ValidationError({"new_parent": ["新上级组织与原上级组织相同。"]})
    if not current.is_active:
        raise ValidationError({"new_parent": ["已撤销的组织不能调整隶属。"]})
    _check_parent(current.kind, parent)
    old_parent = current.parent
    _move_subtree(PartyOrg, current, parent.path + path_segment(current.pk), parent.depth + 1)
    _bump(current, parent=parent)
    OrgEvent.objects.create(
        org=current,
        kind=OrgEvent.Kind.MOVE,
        effective_on=effective_on,
        old_parent=old_parent,
        new_parent=parent,
        note=note,
    )
    if current.kind == Kind.GROUP and old_parent is not None:
        # the group's members now belong to the new branch
        _run_hooks(
            source=old_parent,
            target=parent,
            person_ids=[],
            group_ids=[current.pk],
            effective_on=effective_on,
            reason=note or f"党小组调整隶属至{parent.name}",
            actor=actor,
        )
    current.refresh_from_db()
    assert_in_scope(current, actor, "change")
    audit_record(
        "restructure",
        obj=current,
        changes={
            "kind": "move",
            "parent": [_value(old_parent), parent.pk],
            "path": [org.path, current.path],
            "effective_on": str(effective_on),
        },
        reason=note,
        actor=actor,
    )
    return current


def _transfer_all(
    *, source: PartyOrg, target: PartyOrg, effective_on: dt.date, reason: str, actor: Any
) -> dict[str, Any]:
    """Children, units, group coverage and persons of ``source`` go to ``target``."""
    if source.departments.exists():
        raise ValidationError({"target": ["该组织下设政工部门，请先调整部门归属。"]})
    child_ids = list(
        PartyOrg.objects.filter(parent=source, dissolved_on__isnull=True).values_list(
            "pk", flat=True
        )
    )
    group_ids = list(
        PartyOrg.objects.filter(pk__in=child_ids, kind=Kind.GROUP).values_list("pk", flat=True)
    )
    _reparent_children(source, target, child_ids)
    unit_ids = list(Unit.objects.filter(party_org=source).values_list("pk", flat=True))
    Unit.objects.filter(pk__in=unit_ids).update(party_org=target)
    covered = list(source.covered_units.values_list("pk", flat=True))
    if covered and target.kind == Kind.GROUP:
        target.covered_units.add(*covered)
    source.covered_units.clear()
    _run_hooks(
        source=source,
        target=target,
        person_ids=None,
        group_ids=group_ids,
        effective_on=effective_on,
        reason=reason,
        actor=actor,
    )
    return {"children": child_ids, "units": unit_ids, "covered_units": covered}


def _check_pair(source: PartyOrg, target: PartyOrg) -> None:
    if source.pk == target.pk:
        raise ValidationError({"target": ["不能与自身合并。"]})
    if not source.is_active:
        raise ValidationError({"target": ["该组织已撤销。"]})
    if not target.is_active:
        raise ValidationError({"target": ["目标组织已撤销。"]})
    if target.path.startswith(source.path):
        raise ValidationError({"target": ["不能并入本组织的下级组织。"]})
    if source.kind != target.kind:
        raise ValidationError({"target": ["只能并入同类型的组织（如党支部并入党支部）。"]})


@transaction.atomic
def org_merge(
    *,
    actor: Any,
    source: PartyOrg,
    target: PartyOrg,
    effective_on: dt.date,
    note: str = "",
) -> PartyOrg:
    """合并: ``source``'s children, units and persons go to ``target``; source is dissolved."""
    src = _locked(PartyOrg, source, actor)
    dst = _locked(PartyOrg, target, actor)
    _check_date(effective_on)
    _check_pair(src, dst)
    reason = note or f"{src.name}并入{dst.name}"
    moved = _transfer_all(
        source=src, target=dst, effective_on=effective_on, reason=reason, actor=actor
    )
    _bump(src, dissolved_on=effective_on, merged_into=dst)
    OrgEvent.objects.create(
        org=src, kind=OrgEvent.Kind.MERGE, effective_on=effective_on, related_org=dst, note=note
    )
    OrgEvent.objects.create(
        org=dst, kind=OrgEvent.Kind.MERGE, effective_on=effective_on, related_org=src, note=note
    )
    dst.refresh_from_db()
    assert_in_scope(dst, actor, "change")
    audit_record(
        "restructure",
        obj=src,
        changes={
            "kind": "merge",
            "into": dst.pk,
            "effective_on": str(effective_on),
            **moved,
        },
        reason=note,
        actor=actor,
    )
    return dst


@transaction.atomic
def org_split(
    *,
    actor: Any,
    source: PartyOrg,
    new_name: str,
    effective_on: dt.date,
    child_ids: Iterable[int] = (),
    unit_ids: Iterable[int] = (),
    person_ids: Iterable[int] = (),
    note: str = "",
) -> PartyOrg:
    """拆分: a new organisation beside ``source`` takes the selected children, units, persons."""
    src = _locked(PartyOrg, source, actor)
    _check_date(effective_on)
    if not src.is_active:
        raise ValidationError({"new_name": ["已撤销的组织不能拆分。"]})
    if src.parent is None:
        raise ValidationError({"new_name": ["根组织不能拆分。"]})
    child_ids, unit_ids, person_ids = list(child_ids), list(unit_ids), list(person_ids)
    if not (child_ids or unit_ids or person_ids):
        raise ValidationError({"child_ids": ["请至少选择一个划出的党小组、单位或人员。"]})
    stray = set(child_ids) - set(
        PartyOrg.objects.filter(parent=src, pk__in=child_ids).values_list("pk", flat=True)
    )
    if stray:
        raise ValidationError({"child_ids": ["所选下级组织不属于该组织。"]})
    new = org_create(
        name=new_name,
        kind=src.kind,
        parent=src.parent,
        actor=actor,
        effective_on=effective_on,
        category=src.category,
        unit_situation=src.unit_situation,
    )
    group_ids = list(
        PartyOrg.objects.filter(pk__in=child_ids, kind=Kind.GROUP).values_list("pk", flat=True)
    )
    _reparent_children(src, new, child_ids)
    if src.kind == Kind.GROUP:
        src_units = set(src.covered_units.filter(pk__in=unit_ids).values_list("pk", flat=True))
        new.covered_units.add(*src_units)
        src.covered_units.remove(*src_units)
    else:
        src_units = set(
            Unit.objects.filter(party_org=src, pk__in=unit_ids).values_list("pk", flat=True)
        )
        Unit.objects.filter(pk__in=src_units).update(party_org=new)
    if set(unit_ids) - src_units:
        raise ValidationError({"unit_ids": ["所选单位不属于该组织。"]})
    _run_hooks(
        source=src,
        target=new,
        person_ids=person_ids,
        group_ids=group_ids,
        effective_on=effective_on,
        reason=note or f"由{src.name}拆分",
        actor=actor,
    )
    OrgEvent.objects.create(
        org=src, kind=OrgEvent.Kind.SPLIT, effective_on=effective_on, related_org=new, note=note
    )
    OrgEvent.objects.create(
        org=new, kind=OrgEvent.Kind.SPLIT, effective_on=effective_on, related_org=src, note=note
    )
    _bump(src)
    assert_in_scope(src, actor, "change")
    audit_record(
        "restructure",
        obj=src,
        changes={
            "kind": "split",
            "new_org": new.pk,
            "children": child_ids,
            "units": sorted(src_units),
            "persons": person_ids,
            "effective_on": str(effective_on),
        },
        reason=note,
        actor=actor,
    )
    return new


@transaction.atomic
def org_dissolve(
    *,
    actor: Any,
    org: PartyOrg,
    effective_on: dt.date,
    target: PartyOrg | None = None,
    note: str = "",
) -> PartyOrg:
    """撤销: refused while children, units or persons remain, unless they go to ``target``."""
    current = _locked(PartyOrg, org, actor)
    _check_date(effective_on)
    if not current.is_active:
        raise ValidationError({"effective_on": ["该组织已撤销。"]})
    if current.parent_id is None:
        raise ValidationError({"effective_on": ["根组织不能撤销。"]})
    moved: dict[str, Any] = {}
    if target is not None:
        dst = _locked(PartyOrg, target, actor)
        _check_pair(current, dst)
        moved = _transfer_all(
            source=current,
            target=dst,
            effective_on=effective_on,
            reason=note or f"{current.name}撤销，转入{dst.name}",
            actor=actor,
        )
    else:
        problems = []
        if PartyOrg.objects.filter(parent=current, dissolved_on__isnull=True).exists():
            problems.append("下级组织")
        if Unit.objects.filter(party_org=current, dissolved_on__isnull=True).exists():
            problems.append("负责的行政单位")
        if _has_people(current):
            problems.append("人员")
        if problems:
            raise ValidationError(
                {"target": [f"该组织仍有{'、'.join(problems)}，请先转移或指定接收组织。"]}
            )
    _bump(current, dissolved_on=effective_on)
    OrgEvent.objects.create(
        org=current,
        kind=OrgEvent.Kind.DISSOLVE,
        effective_on=effective_on,
        related_org=target,
        note=note,
    )
    current.refresh_from_db()
    assert_in_scope(current, actor, "change")
    audit_record(
        "restructure",
        obj=current,
        changes={
            "kind": "dissolve",
            "target": _value(target),
            "effective_on": str(effective_on),
            **moved,
        },
        reason=note,
        actor=actor,
    )
    return current


@transaction.atomic
def org_term_change(
    *,
    actor: Any,
    org: PartyOrg,
    term_started_on: dt.date,
    has_committee: bool,
    term_ends_on: dt.date | None = None,
    note: str = "",
) -> PartyOrg:
    """换届: a new term of office (default length: rule ``org.term_years``)."""
    current = _locked(PartyOrg, org, actor)
    _check_date(term_started_on)
    if current.kind == Kind.GROUP:
        raise ValidationError({"term_started_on": ["党小组不实行任期制。"]})
    if not current.is_active:
        raise ValidationError({"term_started_on": ["已撤销的组织不能换届。"]})
    if term_ends_on is None:
        years = int(rule("org.term_years"))
        try:
            term_ends_on = term_started_on.replace(year=term_started_on.year + years)
        except ValueError:  # 29 February
            term_ends_on = term_started_on.replace(year=term_started_on.year + years, day=28)
    if term_ends_on <= term_started_on:
        raise ValidationError({"term_ends_on": ["任期届满日期须晚于任期开始日期。"]})
    changes = {
        "term_started_on": [_value(current.term_started_on), _value(term_started_on)],
        "term_ends_on": [_value(current.term_ends_on), _value(term_ends_on)],
        "has_committee": [current.has_committee, has_committee],
    }
    _bump(
        current,
        term_started_on=term_started_on,
        term_ends_on=term_ends_on,
        has_committee=has_committee,
    )
    OrgEvent.objects.create(
        org=current,
        kind=OrgEvent.Kind.TERM,
        effective_on=term_started_on,
        note=note or f"本届任期 {term_started_on:%Y-%m-%d} 至 {term_ends_on:%Y-%m-%d}",
    )
    current.refresh_from_db()
    assert_in_scope(current, actor, "change")
    audit_record("restructure", obj=current, changes={"kind": "term", **changes}, actor=actor)
    return current


# --- units --------------------------------------------------------------------------------


def _check_unit_parent(parent: Unit | None, kind: str) -> None:
    if kind not in Unit.Kind.values:
        raise ValidationError({"kind": ["单位类型不正确。"]})
    if parent is None and kind != Unit.Kind.MINE:
        raise ValidationError({"parent": ["只有矿/公司可以作为顶层单位。"]})
    if parent is not None and parent.kind == Unit.Kind.TEAM:
        raise ValidationError({"parent": ["班队/班组下不能再设单位。"]})
    if parent is not None and parent.dissolved_on is not None:
        raise ValidationError({"parent": ["上级单位已撤销。"]})


@transaction.atomic
def unit_create(*, name: str, kind: str, parent: Unit | None, actor: Any, **fields: Any) -> Unit:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["请填写单位名称。"]})
    _check_unit_parent(parent, kind)
    unit = Unit(name=name, kind=kind, parent=parent, **fields)
    unit.save()
    unit.compute_path()
    unit.save(update_fields=["path", "depth"])
    assert_in_scope(unit, actor, "add")
    changes = {"name": [None, name], "kind": [None, kind], "parent": [None, _value(parent)]}
    changes.update({k: [None, _value(v)] for k, v in fields.items() if v not in (None, "")})
    audit_record("create", obj=unit, changes=changes, actor=actor)
    return unit


@transaction.atomic
def unit_update(*, actor: Any, unit: Unit, data: dict[str, Any]) -> Unit:
    """Change a unit; a new parent moves its whole subtree (one UPDATE)."""
    current = _locked(Unit, unit, actor)
    unknown = set(data) - set(UNIT_FIELDS)
    if unknown:
        raise ValueError(f"not unit fields: {sorted(unknown)}")
    name = data.get("name", current.name)
    if not (name or "").strip():
        raise ValidationError({"name": ["请填写单位名称。"]})
    parent = data.get("parent", current.parent)
    kind = data.get("kind", current.kind)
    if parent is not None and parent.path.startswith(current.path):
        raise ValidationError({"parent": ["不能把单位调整到它自己或其下级单位之下。"]})
    if parent is not None and parent.pk != current.parent_id:
        _locked(Unit, parent, actor)
    _check_unit_parent(parent, kind)
    if kind == Unit.Kind.TEAM and current.children.exists():
        raise ValidationError({"kind": ["该单位下还有下级单位，不能设为班队。"]})
    changes = {
        k: [_value(getattr(current, k)), _value(v)]
        for k, v in data.items()
        if getattr(current, k) != v
    }
    if not changes:
        return current
    if "parent" in changes:
        prefix = (parent.path if parent else "") + path_segment(current.pk)
        _move_subtree(Unit, current, prefix, parent.depth + 1 if parent else 0)
        current.refresh_from_db(fields=["path", "depth"])
    for key, value in data.items():
        setattr(current, key, value)
    current.save()
    assert_in_scope(current, actor, "change")
    audit_record("update", obj=current, changes=changes, actor=actor)
    return current
