"""Writes to the people registry: validate, one transaction, scope re-check, history, audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from dangjian.audit.services import audit_record
from dangjian.core import context
from dangjian.core.crypto import blind_index
from dangjian.core.identity import (
    citizen_id_birth_date,
    citizen_id_gender,
    mask_citizen_id,
    mask_phone,
    mask_text,
    validate_citizen_id,
    validate_phone,
)
from dangjian.core.scope import assert_in_scope, restrict
from dangjian.orgs.models import PartyOrg, Unit
from dangjian.people.models import (
    PARTY_MEMBER_STATUSES,
    Education,
    Gender,
    MembershipStatus,
    Person,
    PersonChange,
    PoliticalStatus,
)

# Plain fields written by services, in form order.
PLAIN_FIELDS = (
    "employee_no",
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "education",
    "post",
    "unit",
    "is_front_line",
    "political_status",
    "party_org",
    "party_group",
    "joined_party_on",
    "regularised_on",
    "membership_status",
    "lost_contact",
    "lost_contact_on",
    "is_mobile",
    "mobile_destination",
    "is_employed",
)
SEALED_FIELDS = ("citizen_id", "phone", "address")
MASKERS = {"citizen_id": mask_citizen_id, "phone": mask_phone, "address": mask_text}


class StaleVersion(Exception):
    """The record was changed by someone else since it was read (optimistic locking)."""


def _org_for_unit(unit: Unit) -> PartyOrg | None:
    if unit.party_org_id:
        return unit.party_org
    ancestors = (
        Unit.objects.filter(
            party_org__isnull=False,
            path__in=[unit.path[: i + 1] for i, ch in enumerate(unit.path) if ch == "."],
        )
        .select_related("party_org")
        .order_by("-depth")
    )
    first = ancestors.first()
    return first.party_org if first else None


DUPLICATE_CITIZEN_ID = "该身份证号已登记在其他人员名下。"
# Code-table values as sets (``TextChoices.values`` builds a new list on every access, which
# the Excel import paid once per field per row).
GENDERS = frozenset(Gender.values)
EDUCATIONS = frozenset(Education.values)
POLITICAL_STATUSES = frozenset(PoliticalStatus.values)
MEMBERSHIP_STATUSES = frozenset(MembershipStatus.values)


def person_clean(
    data: dict[str, Any], *, instance: Person | None = None, check_unique: bool = True
) -> dict[str, Any]:
    """Validate a full set of person fields; raise ``ValidationError`` keyed by field.

    ``check_unique=False`` skips the two per-row uniqueness queries (工号, citizen ID) for a
    caller that checks a whole batch with set-based queries instead (the Excel import).
    """
    errors: dict[str, list[str]] = {}
    cleaned = dict(data)

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    for field in ("employee_no", "name", "gender", "birth_date", "unit"):
        if not cleaned.get(field):
            fail(field, "此项为必填项。")
    if cleaned.get("gender") and cleaned["gender"] not in GENDERS:
        fail("gender", "性别只能为“男”或“女”。")
    if cleaned.get("education") and cleaned["education"] not in EDUCATIONS:
        fail("education", "学历不在代码表中。")
    status = cleaned.get("political_status") or PoliticalStatus.MASSES
    cleaned["political_status"] = status
    if status not in POLITICAL_STATUSES:
        fail("political_status", "政治面貌不在代码表中。")
    cleaned.setdefault("membership_status", MembershipStatus.NORMAL)
    if cleaned["membership_status"] not in MEMBERSHIP_STATUSES:
        fail("membership_status", "党籍状态不在代码表中。")

    citizen_id = (cleaned.get("citizen_id") or "").strip()
    if citizen_id:
        try:
            citizen_id = validate_citizen_id(citizen_id)
            cleaned["citizen_id"] = citizen_id
            birth = citizen_id_birth_date(citizen_id)
            if cleaned.get("birth_date") and cleaned["birth_date"] != birth:
                fail("birth_date", f"出生日期与身份证号不一致（身份证为 {birth:%Y-%m-%d}）。")
            if cleaned.get("gender") and cleaned["gender"] != citizen_id_gender(citizen_id):
                fail("gender", "性别与身份证号不一致。")
            if check_unique:
                duplicate = Person.objects.filter(
                    citizen_id_bidx=blind_index(citizen_id, "citizen_id")
                )
                if instance is not None:
                    duplicate = duplicate.exclude(pk=instance.pk)
                if duplicate.exists():
                    fail("citizen_id", DUPLICATE_CITIZEN_ID)
        except ValidationError as exc:
            fail("citizen_id", exc.messages[0])
    else:
        fail("citizen_id", "此项为必填项。")
    phone = (cleaned.get("phone") or "").strip()
    if phone:
        try:
            cleaned["phone"] = validate_phone(phone)
        except ValidationError as exc:
            fail("phone", exc.messages[0])

    birth_date = cleaned.get("birth_date")
    if isinstance(birth_date, dt.date) and birth_date > timezone.localdate():
        fail("birth_date", "出生日期不能晚于今天。")
    if status in PARTY_MEMBER_STATUSES and not cleaned.get("joined_party_on"):
        fail("joined_party_on", "党员须填写入党日期。")
    joined, regular = cleaned.get("joined_party_on"), cleaned.get("regularised_on")
    if joined and regular and regular < joined:
        fail("regularised_on", "转正日期不能早于入党日期。")
    if status == PoliticalStatus.FULL and joined and not regular:
        pass  # historical records often lack it; the ledger flags it instead
    if cleaned.get("lost_contact") and not cleaned.get("lost_contact_on"):
        fail("lost_contact_on", "标记失联时须填写失联日期。")
    if cleaned.get("is_mobile") and not cleaned.get("mobile_destination"):
        fail("mobile_destination", "流动党员须填写外出流向。")

    employee_no = cleaned.get("employee_no")
    if employee_no and check_unique:
        duplicate_no = Person.objects.filter(employee_no=employee_no)
        if instance is not None:
            duplicate_no = duplicate_no.exclude(pk=instance.pk)
        if duplicate_no.exists():
            fail("employee_no", "工号已存在。")

    unit = cleaned.get("unit")
    if unit is not None and not cleaned.get("party_org"):
        cleaned["party_org"] = _org_for_unit(unit)
        if cleaned["party_org"] is None:
            fail("party_org", "该单位未指定负责党组织，请选择所在党组织。")
    org, group = cleaned.get("party_org"), cleaned.get("party_group")
    if group is not None:
        if group.kind != PartyOrg.Kind.GROUP:
            fail("party_group", "所选组织不是党小组。")
        elif (
            org is not None
            and not group.path.startswith(org.path)
            and not (org.kind == PartyOrg.Kind.GROUP and group.pk == org.pk)
        ):
            fail("party_group", "党小组不属于所选党组织。")
    if errors:
        raise ValidationError(errors)
    return cleaned


def _snapshot(person: Person) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in PLAIN_FIELDS:
        value = getattr(
            person, f"{field}_id" if field in ("unit", "party_org", "party_group") else field
        )
        values[field] = value.isoformat() if isinstance(value, dt.date) else value
    for field in SEALED_FIELDS:
        values[field] = MASKERS[field](getattr(person, field)) if person.pk else ""
    return values


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def _apply(person: Person, cleaned: dict[str, Any]) -> None:
    for field in PLAIN_FIELDS:
        if field in cleaned:
            setattr(person, field, cleaned[field])
    for field in SEALED_FIELDS:
        if field in cleaned:
            setattr(person, field, cleaned[field] or "")


def _record_change(person: Person, changes: dict[str, Any], source: str) -> None:
    actor = context.current().user
    PersonChange.objects.create(
        person=person,
        actor_name=getattr(actor, "username", "") if actor else "",
        source=source,
        changes=changes,
        party_org=person.party_org,
        party_org_name=person.party_org.name,
        unit=person.unit,
        unit_name=person.unit.name,
    )


@transaction.atomic
def person_create(*, actor: Any, data: dict[str, Any], source: str = "web") -> Person:
    cleaned = person_clean(data)
    person = Person()
    _apply(person, cleaned)
    person.save()
    assert_in_scope(person, actor, "add")
    changes = _diff({}, _snapshot(person))
    _record_change(person, changes, source)
    audit_record("create", obj=person, changes=changes, actor=actor)
    return person


@transaction.atomic
def person_update(
    *,
    actor: Any,
    person: Person,
    data: dict[str, Any],
    expected_version: int | None = None,
    source: str = "web",
) -> Person:
    """Update the fields given in ``data``; refuse if the row changed since ``expected_version``."""
    locked = restrict(Person.objects.select_for_update(), actor, "change").filter(pk=person.pk)
    current = locked.select_related("party_org", "unit").first()
    if current is None:
        raise PermissionDenied("该操作超出您的数据权限范围。")
    if expected_version is not None and current.version != expected_version:
        raise StaleVersion("该人员信息已被他人修改，请刷新后重试。")
    before = _snapshot(current)
    merged = {f: getattr(current, f) for f in PLAIN_FIELDS}
    merged.update({f: getattr(current, f) for f in SEALED_FIELDS})
    merged.update(data)
    if "unit" in data and "party_org" not in data:
        merged["party_org"] = None  # follow the new unit's responsible organisation
    cleaned = person_clean(merged, instance=current)
    _apply(current, {k: v for k, v in cleaned.items() if k in data or k == "party_org"})
    after = _snapshot(current)
    changes = _diff(before, after)
    if not changes:
        return current
    Person.objects.filter(pk=current.pk).update(version=F("version") + 1)
    current.version += 1
    current.save()
    assert_in_scope(current, actor, "change")  # AC-04: the result must stay in scope
    _record_change(current, changes, source)
    audit_record("update", obj=current, changes=changes, actor=actor)
    return current


def person_reveal(*, actor: Any, person_id: int, field: str, reason: str) -> str:
    """Plaintext of one sealed field, for a user holding the reveal permission; audited."""
    if field not in SEALED_FIELDS:
        raise ValidationError({"field": ["不支持查看该字段。"]})
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationError({"reason": ["请填写查看事由。"]})
    person = restrict(Person.objects.all(), actor, "reveal").filter(pk=person_id).first()
    if person is None:
        audit_record(
            "reveal",
            obj=("people.person", person_id, ""),
            outcome="denied",
            reason=reason,
            changes={"field": field},
            actor=actor,
        )
        raise PermissionDenied("您没有查看该人员明文信息的权限。")
    with transaction.atomic():
        audit_record("reveal", obj=person, reason=reason, changes={"field": field}, actor=actor)
    from dangjian.accounts.alerts import access_check

    access_check(actor=actor, kind="reveal")  # PI-09: bulk reveals raise an alert
    return str(getattr(person, field))


# --- key rotation (CRY-05) -------------------------------------------------------------------

SEALED_COLUMNS = tuple(f"{field}_sealed" for field in SEALED_FIELDS)


def person_key_versions(*, batch_size: int = 2000) -> dict[str, dict[int, int]]:
    """How many sealed values each key version protects, per field (for ``keys status``)."""
    from dangjian.core.crypto import sealed_version

    counts: dict[str, dict[int, int]] = {field: {} for field in SEALED_FIELDS}
    last_pk = 0
    while True:
        rows = list(
            Person.objects.filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", *SEALED_COLUMNS)[:batch_size]
        )
        if not rows:
            return counts
        for row in rows:
            for field, sealed in zip(SEALED_FIELDS, row[1:], strict=True):
                if sealed:
                    version = sealed_version(sealed)
                    counts[field][version] = counts[field].get(version, 0) + 1
        last_pk = rows[-1][0]


def person_reencrypt_batch(*, after_pk: int, batch_size: int) -> tuple[int | None, int]:
    """Re-encrypt one batch of persons (pk > ``after_pk``) under the current key version.

    Returns ``(last pk of the batch or None when there are no more rows, values re-sealed)``.
    One transaction per batch with the rows locked, so an interrupted rotation loses nothing
    and resumes where it stopped; rows already on the current version are left untouched.
    """
    from dangjian.core.crypto import keyring, reseal

    ring = keyring()
    with transaction.atomic():
        rows = list(
            Person.objects.select_for_update()
            .filter(pk__gt=after_pk)
            .order_by("pk")
            .only("pk", "uid", *SEALED_COLUMNS)[:batch_size]
        )
        if not rows:
            return None, 0
        changed: list[Person] = []
        resealed = 0
        for person in rows:
            dirty = False
            for field in SEALED_FIELDS:
                column = f"{field}_sealed"
                sealed = getattr(person, column)
                if not sealed:
                    continue
                aad = Person.__dict__[field].aad(person)
                fresh = reseal(sealed, aad, ring)
                if fresh is not None:
                    setattr(person, column, fresh)
                    dirty = True
                    resealed += 1
            if dirty:
                changed.append(person)
        if changed:
            Person.objects.bulk_update(changed, list(SEALED_COLUMNS))
    return rows[-1].pk, resealed
