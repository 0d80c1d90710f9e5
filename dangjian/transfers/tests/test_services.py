"""Transfers: the internal flow (history kept), rejections, scope, letters (numbering, validity
by rule, paid-up month from the dues provider or entered, receipt), incoming letters, and the
reminders they raise."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangjian.audit.models import AuditEvent
from dangjian.core import registries
from dangjian.people.models import Person, PersonChange
from dangjian.transfers import services
from dangjian.transfers.models import Transfer
from dangjian.transfers.reminders import transfer_steps_due

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_dues(monkeypatch):
    table = dict(registries._activity)
    table.pop("dues", None)
    monkeypatch.setattr(registries, "_activity", table)
    return table


def start(mine, actor="secretary_a", **kw):
    return services.transfer_start(
        actor=mine.users[actor],
        person_id=mine.member_a.pk,
        to_org=kw.pop("to_org", mine.branch_b),
        to_group=kw.pop("to_group", mine.group_b1),
        reason="工作调动",
        paid_up_to=kw.pop("paid_up_to", dt.date(2026, 5, 10)),
    )


def test_internal_transfer_both_sides_and_history(mine, no_dues):
    transfer = start(mine)
    assert transfer.status == Transfer.Status.PENDING_OUT
    assert transfer.paid_up_to == dt.date(2026, 5, 31)  # the month's end
    services.transfer_approve(actor=mine.users["worker_a"], pk=transfer.pk)
    with pytest.raises(ValidationError):
        services.transfer_approve(actor=mine.users["secretary_a"], pk=transfer.pk)
    # branch A's secretary is not the receiving side
    with pytest.raises(PermissionDenied):
        services.transfer_accept(actor=mine.users["secretary_a"], pk=transfer.pk)
    done = services.transfer_accept(actor=mine.users["shuji"], pk=transfer.pk)
    assert done.status == Transfer.Status.COMPLETED
    person = Person.objects.get(pk=mine.member_a.pk)
    assert (person.party_org_id, person.party_group_id) == (mine.branch_b.pk, mine.group_b1.pk)
    last = PersonChange.objects.filter(person=person).order_by("-id").first()
    assert last is not None
    assert last.source == "transfer" and last.party_org_id == mine.branch_b.pk
    assert "party_org" in last.changes
    # the person's history still shows the earlier organisation
    assert PersonChange.objects.filter(person=person, party_org=mine.branch_a).exists()
    assert (
        AuditEvent.objects.filter(
            object_type="transfers.transfer", object_id=str(transfer.pk)
        ).count()
        == 3
    )


def test_accept_state_message(mine, no_dues):
    transfer = start(mine)
    with pytest.raises(ValidationError, match="待接收"):
        services.transfer_accept(actor=mine.users["shuji"], pk=transfer.pk)


def test_out_of_scope_member_cannot_be_transferred(mine, no_dues):
    with pytest.raises(PermissionDenied):
        services.transfer_start(
            actor=mine.users["secretary_a"], person_id=mine.member_b.pk, to_org=mine.branch_a
        )
    with pytest.raises(PermissionDenied):
        services.transfer_start(
            actor=mine.users["member_b"],
            person_id=mine.member_b.pk,
            to_org=mine.branch_a,
            paid_up_to=dt.date(2026, 1, 1),
        )


def test_validation(mine, no_dues):
    with pytest.raises(ValidationError) as exc:
        services.transfer_start(
            actor=mine.users["secretary_a"], person_id=mine.masses_a.pk, to_org=mine.branch_b
        )
    assert "person" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        start(mine, to_org=mine.branch_a, to_group=None)
    assert "to_org" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        start(mine, to_group=mine.group_a1)
    assert "to_group" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        start(mine, paid_up_to=None)
    assert "paid_up_to" in exc.value.message_dict
    start(mine)
    with pytest.raises(ValidationError, match="未办结"):
        start(mine)


def test_reject_needs_a_reason_and_the_right_side(mine, no_dues):
    transfer = start(mine)
    with pytest.raises(ValidationError):
        services.transfer_reject(actor=mine.users["secretary_a"], pk=transfer.pk, reason="")
    rejected = services.transfer_reject(
        actor=mine.users["secretary_a"], pk=transfer.pk, reason="材料不全"
    )
    assert rejected.status == Transfer.Status.REJECTED
    assert Person.objects.get(pk=mine.member_a.pk).party_org_id == mine.branch_a.pk
    start(mine)  # a rejected transfer does not block a new one


def test_paid_up_month_from_the_dues_provider(mine, monkeypatch):
    monkeypatch.setitem(
        registries._activity, "dues", lambda ids: {mine.member_a.pk: dt.date(2026, 3, 31)}
    )
    transfer = start(mine, paid_up_to=None)
    assert transfer.paid_up_to == dt.date(2026, 3, 31)


@pytest.mark.parametrize(
    ("cross", "issued", "valid_until"),
    [
        (False, dt.date(2026, 1, 15), dt.date(2026, 4, 15)),
        (True, dt.date(2026, 1, 15), dt.date(2026, 7, 15)),
        (False, dt.date(2026, 11, 30), dt.date(2027, 2, 28)),
    ],
)
def test_letter_validity_by_rule(mine, no_dues, cross, issued, valid_until):
    letter = services.letter_issue(
        actor=mine.users["secretary_a"],
        person_id=mine.member_a.pk,
        external_org="外省某党委",
        cross_province=cross,
        paid_up_to=dt.date(2025, 12, 1),
        issued_on=issued,
    )
    assert letter.valid_until == valid_until
    assert letter.status == Transfer.Status.AWAITING_RECEIPT
    assert letter.paid_up_to == dt.date(2025, 12, 31)


def test_letter_numbers_sequential_per_year_and_receipt(mine, no_dues):
    def issue(person, day):
        return services.letter_issue(
            actor=mine.users["shuji"],
            person_id=person.pk,
            external_org="某党委",
            paid_up_to=dt.date(2026, 1, 1),
            issued_on=day,
        )

    first = issue(mine.member_a, dt.date(2026, 2, 1))
    second = issue(mine.member_b, dt.date(2026, 3, 1))
    assert (first.letter_no, second.letter_no) == ("〔2026〕第0001号", "〔2026〕第0002号")
    with pytest.raises(ValidationError):
        services.letter_receipt(
            actor=mine.users["shuji"], pk=first.pk, receipt_on=dt.date(2026, 1, 1)
        )
    with pytest.raises(PermissionDenied):  # branch A did not issue member B's letter
        services.letter_receipt(actor=mine.users["secretary_a"], pk=second.pk)
    closed = services.letter_receipt(
        actor=mine.users["secretary_a"], pk=first.pk, receipt_on=dt.date(2026, 2, 20)
    )
    assert (closed.status, closed.receipt_on) == (Transfer.Status.COMPLETED, dt.date(2026, 2, 20))
    Transfer.objects.all().update(status=Transfer.Status.COMPLETED)
    third = issue(mine.member_a, dt.date(2027, 1, 5))
    assert third.letter_no == "〔2027〕第0001号"


def test_incoming_letter_accepted_by_the_receiving_branch(mine, no_dues):
    transfer = services.incoming_register(
        actor=mine.users["secretary_a"],
        person_id=mine.member_a.pk,
        to_org=mine.branch_a,
        to_group=mine.group_a1,
        external_org="外矿党委",
        letter_no="外〔2026〕12号",
        paid_up_to=dt.date(2026, 4, 3),
    )
    assert transfer.status == Transfer.Status.PENDING_IN
    assert transfer.paid_up_to == dt.date(2026, 4, 30)
    done = services.transfer_accept(actor=mine.users["worker_a"], pk=transfer.pk)
    assert done.status == Transfer.Status.COMPLETED
    with pytest.raises(ValidationError) as exc:
        services.incoming_register(
            actor=mine.users["secretary_a"],
            person_id=mine.member_b.pk,  # not in branch A's roll: refused, no hint
            to_org=mine.branch_a,
            external_org="外矿党委",
            letter_no="1",
            paid_up_to=dt.date(2026, 4, 3),
        )
    assert "person" in exc.value.message_dict


def test_steps_raise_reminders_for_the_side_that_must_act(mine, no_dues):
    transfer = start(mine)
    (item,) = [i for i in transfer_steps_due(dt.date(2026, 6, 1)) if f":{transfer.pk}:" in i.key]
    assert item.org_id == mine.branch_a.pk and "待审批" in item.title
    services.transfer_approve(actor=mine.users["secretary_a"], pk=transfer.pk)
    (item,) = [i for i in transfer_steps_due(dt.date(2026, 6, 1)) if f":{transfer.pk}:" in i.key]
    assert item.org_id == mine.branch_b.pk and "待接收" in item.title
    letter = services.letter_issue(
        actor=mine.users["shuji"],
        person_id=mine.member_b.pk,
        external_org="某党委",
        paid_up_to=dt.date(2026, 1, 1),
        issued_on=dt.date(2026, 1, 10),
    )
    due = {i.key: i for i in transfer_steps_due(dt.date(2026, 4, 10))}
    assert due[f"transfers.step:{letter.pk}:awaiting_receipt"].level == "yellow"
    due = {i.key: i for i in transfer_steps_due(dt.date(2026, 4, 11))}
    assert due[f"transfers.step:{letter.pk}:awaiting_receipt"].level == "red"
