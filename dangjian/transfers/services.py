"""Writes of transfers: validate, one transaction, scope re-check, audit.

Internal transfer: ``transfer_start`` (sending branch) → ``transfer_approve`` (sending side) →
``transfer_accept`` (receiving side; the person moves through ``person_update`` so the
organisation history is kept in ``PersonChange``). Outside the system: ``letter_issue`` →
``letter_receipt``; ``incoming_register`` → ``transfer_accept``. Either side may
``transfer_reject`` an open step; the starter may ``transfer_cancel`` before approval.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dangjian.audit.services import audit_record
from dangjian.core.registries import member_last_activity
from dangjian.core.rules import rule
from dangjian.core.scope import SYSTEM, restrict
from dangjian.orgs.models import PartyOrg
from dangjian.people.models import PARTY_MEMBER_STATUSES, Person
from dangjian.transfers.models import LetterCounter, Transfer
from dangjian.transfers.selectors import may_act, transfer_scope

OPEN = (Transfer.Status.PENDING_OUT, Transfer.Status.PENDING_IN, Transfer.Status.AWAITING_RECEIPT)
RECEIVING_KINDS = (PartyOrg.Kind.BRANCH, PartyOrg.Kind.GENERAL_BRANCH, PartyOrg.Kind.COMMITTEE)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, clamped to the last day of a shorter month."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(day.day, last))


def month_end(day: dt.date) -> dt.date:
    return add_months(day.replace(day=1), 1) - dt.timedelta(days=1)


def _actor_name(actor: Any) -> str:
    return str(getattr(actor, "username", "") or "system")[:150]


def _member_or_error(actor: Any, person_id: int) -> Person:
    """A Party member the actor may transfer (change permission on the person)."""
    person = (
        restrict(Person.objects.select_related("party_org"), actor, "change")
        .filter(pk=person_id)
        .first()
    )
    if person is None:
        raise PermissionDenied("该党员不存在或不在您的数据权限范围内。")
    if person.political_status not in PARTY_MEMBER_STATUSES:
        raise ValidationError({"person": ["只有党员（含预备党员）可以转接组织关系。"]})
    if Transfer.objects.filter(person=person, status__in=OPEN).exists():
        raise ValidationError({"person": ["该党员已有未办结的组织关系转接。"]})
    return person


def _check_group(org: PartyOrg, group: PartyOrg | None) -> None:
    if group is None:
        return
    if group.kind != PartyOrg.Kind.GROUP or not group.path.startswith(org.path):
        raise ValidationError({"to_group": ["党小组不属于接收组织。"]})


def paid_up_month(person_id: int, entered: dt.date | None) -> dt.date:
    """党费交至: from the dues app when it provides it, else the month entered."""
    known = member_last_activity("dues", [person_id])
    if known and known.get(person_id):
        return month_end(known[person_id])
    if entered is None:
        raise ValidationError({"paid_up_to": ["请填写党费交至月份。"]})
    return month_end(entered)


def _may_add(actor: Any, transfer: Transfer) -> None:
    if not restrict(Transfer.objects.filter(pk=transfer.pk), actor, "add").exists():
        raise PermissionDenied("该操作超出您的数据权限范围。")


@transaction.atomic
def transfer_start(
    *,
    actor: Any,
    person_id: int,
    to_org: PartyOrg,
    to_group: PartyOrg | None = None,
    reason: str = "",
    paid_up_to: dt.date | None = None,
) -> Transfer:
    """The sending branch starts an internal transfer (one click)."""
    person = _member_or_error(actor, person_id)
    if to_org.kind not in RECEIVING_KINDS or to_org.dissolved_on is not None:
        raise ValidationError({"to_org": ["接收组织须为有效的党支部（党总支、党委）。"]})
    if to_org.pk == person.party_org_id:
        raise ValidationError({"to_org": ["接收组织与现所在组织相同。"]})
    _check_group(to_org, to_group)
    transfer = Transfer.objects.create(
        kind=Transfer.Kind.INTERNAL,
        status=Transfer.Status.PENDING_OUT,
        person=person,
        from_org=person.party_org,
        to_org=to_org,
        to_group=to_group,
        reason=reason[:200],
        paid_up_to=paid_up_month(person.pk, paid_up_to),
        requested_by=_actor_name(actor),
    )
    _may_add(actor, transfer)
    audit_record("create", obj=transfer, changes=_summary(transfer), actor=actor)
    return transfer


def _locked(actor: Any, pk: int) -> Transfer:
    transfer = (
        Transfer.objects.select_for_update()
        .filter(pk__in=transfer_scope(user=actor, action="change").values("pk"), pk=pk)
        .first()
    )
    if transfer is None:
        raise PermissionDenied("该转接不存在或不在您的数据权限范围内。")
    return transfer


def _summary(transfer: Transfer) -> dict[str, Any]:
    return {
        "kind": transfer.kind,
        "status": transfer.status,
        "person": transfer.person_id,
        "from_org": transfer.from_org_id,
        "to_org": transfer.to_org_id,
        "external_org": transfer.external_org,
        "letter_no": transfer.letter_no,
    }


@transaction.atomic
def transfer_approve(*, actor: Any, pk: int) -> Transfer:
    """The sending side approves: the receiving side may now accept."""
    transfer = _locked(actor, pk)
    if transfer.status != Transfer.Status.PENDING_OUT:
        raise ValidationError("该转接当前不在“待转出审批”状态。")
    if not may_act(user=actor, transfer=transfer, side="out"):
        raise PermissionDenied("只有转出组织可以审批。")
    transfer.status = Transfer.Status.PENDING_IN
    transfer.approved_by = _actor_name(actor)
    transfer.approved_at = timezone.now()
    transfer.save(update_fields=["status", "approved_by", "approved_at"])
    audit_record("update", obj=transfer, changes={"status": ["pending_out", "pending_in"]})
    return transfer


@transaction.atomic
def transfer_accept(
    *, actor: Any, pk: int, to_group: PartyOrg | None = None, on: dt.date | None = None
) -> Transfer:
    """The receiving side accepts: the member moves (history kept by the people service)."""
    from dangjian.people.services import person_update

    transfer = _locked(actor, pk)
    if transfer.status != Transfer.Status.PENDING_IN:
        raise ValidationError("该转接当前不在“待接收”状态。")
    if not may_act(user=actor, transfer=transfer, side="in"):
        raise PermissionDenied("只有接收组织可以办理接收。")
    assert transfer.to_org is not None
    group = to_group or transfer.to_group
    _check_group(transfer.to_org, group)
    # The receiving side's acceptance is the authority for the move: the person service runs
    # as the system (the receiving secretary cannot edit a member of another branch), while
    # PersonChange and this transfer's audit record name the accepting user.
    person_update(
        actor=SYSTEM,
        person=transfer.person,
        data={"party_org": transfer.to_org, "party_group": group},
        source="transfer",
    )
    transfer.status = Transfer.Status.COMPLETED
    transfer.to_group = group
    transfer.accepted_by = _actor_name(actor)
    transfer.accepted_at = timezone.now()
    transfer.completed_on = on or timezone.localdate()
    transfer.save(
        update_fields=["status", "to_group", "accepted_by", "accepted_at", "completed_on"]
    )
    audit_record("update", obj=transfer, changes={"status": ["pending_in", "completed"]})
    return transfer


@transaction.atomic
def transfer_reject(*, actor: Any, pk: int, reason: str) -> Transfer:
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationError({"reason": ["请填写退回原因。"]})
    transfer = _locked(actor, pk)
    side = {Transfer.Status.PENDING_OUT: "out", Transfer.Status.PENDING_IN: "in"}.get(
        Transfer.Status(transfer.status)
    )
    if side is None:
        raise ValidationError("该转接当前不能退回。")
    if not may_act(user=actor, transfer=transfer, side=side):
        raise PermissionDenied("您不能退回该转接。")
    before = transfer.status
    transfer.status = Transfer.Status.REJECTED
    transfer.note = f"退回：{reason}"[:300]
    transfer.save(update_fields=["status", "note"])
    audit_record("update", obj=transfer, changes={"status": [before, "rejected"]}, reason=reason)
    return transfer


def _next_letter_number(year: int) -> int:
    """Race-free: the year's counter row is locked until the surrounding transaction ends."""
    counter = LetterCounter.objects.select_for_update().filter(year=year).first()
    if counter is None:
        try:
            with transaction.atomic():
                LetterCounter.objects.create(year=year, last=0)
        except IntegrityError:
            pass  # another transaction created it first
        counter = LetterCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


@transaction.atomic
def letter_issue(
    *,
    actor: Any,
    person_id: int,
    external_org: str,
    cross_province: bool = False,
    paid_up_to: dt.date | None = None,
    reason: str = "",
    issued_on: dt.date | None = None,
) -> Transfer:
    """An introduction letter to an organisation outside the system (awaiting its receipt)."""
    external_org = (external_org or "").strip()
    if not external_org:
        raise ValidationError({"external_org": ["请填写接收党组织名称。"]})
    person = _member_or_error(actor, person_id)
    issued_on = issued_on or timezone.localdate()
    key = (
        "transfers.letter_valid_months_cross_province"
        if cross_province
        else "transfers.letter_valid_months"
    )
    seq = _next_letter_number(issued_on.year)
    transfer = Transfer.objects.create(
        kind=Transfer.Kind.OUTGOING,
        status=Transfer.Status.AWAITING_RECEIPT,
        person=person,
        from_org=person.party_org,
        external_org=external_org[:200],
        cross_province=cross_province,
        reason=reason[:200],
        letter_year=issued_on.year,
        letter_seq=seq,
        letter_no=f"〔{issued_on.year}〕第{seq:04d}号",
        issued_on=issued_on,
        valid_until=add_months(issued_on, int(rule(key))),
        paid_up_to=paid_up_month(person.pk, paid_up_to),
        requested_by=_actor_name(actor),
    )
    _may_add(actor, transfer)
    audit_record("create", obj=transfer, changes=_summary(transfer), actor=actor)
    return transfer


@transaction.atomic
def letter_receipt(*, actor: Any, pk: int, receipt_on: dt.date | None = None) -> Transfer:
    """The receipt (回执) came back: the outgoing transfer is closed."""
    transfer = _locked(actor, pk)
    if transfer.status != Transfer.Status.AWAITING_RECEIPT:
        raise ValidationError("该介绍信不在“待回执”状态。")
    if not may_act(user=actor, transfer=transfer, side="out"):
        raise PermissionDenied("只有开具介绍信的组织可以登记回执。")
    receipt_on = receipt_on or timezone.localdate()
    if transfer.issued_on and receipt_on < transfer.issued_on:
        raise ValidationError({"receipt_on": ["回执日期不能早于开具日期。"]})
    transfer.status = Transfer.Status.COMPLETED
    transfer.receipt_on = receipt_on
    transfer.completed_on = receipt_on
    transfer.save(update_fields=["status", "receipt_on", "completed_on"])
    audit_record("update", obj=transfer, changes={"status": ["awaiting_receipt", "completed"]})
    return transfer


@transaction.atomic
def incoming_register(
    *,
    actor: Any,
    person_id: int,
    to_org: PartyOrg,
    external_org: str,
    letter_no: str,
    paid_up_to: dt.date | None,
    to_group: PartyOrg | None = None,
    issued_on: dt.date | None = None,
) -> Transfer:
    """Register a letter from outside; the receiving organisation then accepts it."""
    errors: dict[str, list[str]] = {}
    if not (external_org or "").strip():
        errors["external_org"] = ["请填写转出党组织名称。"]
    if not (letter_no or "").strip():
        errors["letter_no"] = ["请填写介绍信编号。"]
    if paid_up_to is None:
        errors["paid_up_to"] = ["请填写党费交至月份。"]
    if errors:
        raise ValidationError(errors)
    assert paid_up_to is not None
    person = (
        restrict(Person.objects.all(), actor, "view")
        .filter(pk=person_id, political_status__in=PARTY_MEMBER_STATUSES)
        .first()
    )
    if person is None:
        raise ValidationError({"person": ["请先在人员名册中登记该党员（须在本组织范围内）。"]})
    if Transfer.objects.filter(person=person, status__in=OPEN).exists():
        raise ValidationError({"person": ["该党员已有未办结的组织关系转接。"]})
    _check_group(to_org, to_group)
    transfer = Transfer.objects.create(
        kind=Transfer.Kind.INCOMING,
        status=Transfer.Status.PENDING_IN,
        person=person,
        to_org=to_org,
        to_group=to_group,
        external_org=external_org.strip()[:200],
        letter_no=letter_no.strip()[:40],
        issued_on=issued_on,
        paid_up_to=month_end(paid_up_to),
        requested_by=_actor_name(actor),
    )
    if not may_act(user=actor, transfer=transfer, side="in") or not has_add(actor):
        raise PermissionDenied("只能为本组织登记转入。")
    audit_record("create", obj=transfer, changes=_summary(transfer), actor=actor)
    return transfer


def has_add(actor: Any) -> bool:
    from dangjian.core.scope import has_permission

    return has_permission(actor, Transfer, "add")
