"""AUD-02 (record fields) and AUD-03 (no secrets or full identifiers in audit rows or logs)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re

import pytest
from django.urls import reverse

from dangjian.accounts.services import account_create
from dangjian.audit.models import AuditEvent
from dangjian.audit.services import audit_verify
from dangjian.core.scope import SYSTEM
from dangjian.core.testing import make_citizen_id, person_data
from dangjian.people.models import PersonChange
from dangjian.people.services import person_create, person_reveal, person_update

pytestmark = pytest.mark.django_db


def test_record_schema(mine):
    """AUD-02: time with offset, actor, IP, agent, type, object, outcome, request id, reason."""
    field_names = {f.name for f in AuditEvent._meta.get_fields()}
    assert {
        "occurred_at",
        "actor_id",
        "actor_name",
        "ip",
        "user_agent",
        "event_type",
        "object_type",
        "object_id",
        "outcome",
        "request_id",
        "reason",
        "changes",
        "prev_hash",
        "hash",
    } <= field_names
    client = mine.client("auditor")
    response = client.get(
        reverse("audit:event_list"), REMOTE_ADDR="192.168.1.20", HTTP_USER_AGENT="Mozilla/5.0 t"
    )
    event = AuditEvent.objects.get(event_type="audit_search")
    assert event.occurred_at.tzinfo is not None
    assert event.occurred_at.utcoffset() is not None
    assert abs((dt.datetime.now(dt.UTC) - event.occurred_at).total_seconds()) < 60
    assert event.actor_id == mine.users["auditor"].pk
    assert event.ip == "192.168.1.20"
    assert event.user_agent == "Mozilla/5.0 t"
    assert re.fullmatch(r"[0-9a-f]{32}", event.request_id)
    assert event.request_id == response["X-Request-ID"]
    assert event.object_type == "audit.auditevent"
    assert event.outcome == "success"
    assert re.fullmatch(r"[0-9a-f]{64}", event.hash)

    person_reveal(
        actor=mine.users["secretary_a"],
        person_id=mine.member_a.pk,
        field="phone",
        reason="电话回访",
    )
    reveal = AuditEvent.objects.get(event_type="reveal")
    assert reveal.reason == "电话回访"
    assert reveal.object_type == "people.person"
    assert reveal.object_id == str(mine.member_a.pk)
    assert reveal.changes == {"field": "phone"}


CANARY_ID = make_citizen_id(dt.date(1979, 4, 23), "F", 417)
CANARY_ID_2 = make_citizen_id(dt.date(1979, 4, 23), "F", 418)
CANARY_PHONE = "13912345678"
CANARY_PHONE_2 = "15887654321"
CANARY_PASSWORD = "Canary-Pass-9931!"


@pytest.fixture
def captured_logs():
    """Every log record of the project and Django, whatever the configured propagation."""
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Collect(level=logging.DEBUG)
    loggers = [logging.getLogger(n) for n in ("", "dangjian", "django", "django.request")]
    old_levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    yield records
    for lg, level in zip(loggers, old_levels, strict=True):
        lg.removeHandler(handler)
        lg.setLevel(level)


def test_no_canary_in_audit_rows_or_logs(mine, captured_logs):
    """AUD-03: person create/update, reveal, account with password, logins: no plaintext."""
    person = person_create(
        actor=SYSTEM,
        data=person_data(
            mine,
            seq=417,
            gender="F",
            birth_date=dt.date(1979, 4, 23),
            citizen_id=CANARY_ID,
            phone=CANARY_PHONE,
            name="金丝雀",
        ),
    )
    person_update(
        actor=mine.users["secretary_a"],
        person=person,
        data={"phone": CANARY_PHONE_2, "citizen_id": CANARY_ID_2},
    )
    assert (
        person_reveal(
            actor=mine.users["secretary_a"], person_id=person.pk, field="phone", reason="核对"
        )
        == CANARY_PHONE_2
    )
    account_create(actor=SYSTEM, username="canary_user", password=CANARY_PASSWORD)
    client = mine.client("auditor")
    client.logout()
    client.post(
        reverse("accounts:login"),
        {"username": "canary_user", "password": "wrong" + CANARY_PASSWORD},
    )
    client.post(reverse("accounts:login"), {"username": "canary_user", "password": CANARY_PASSWORD})
    logging.getLogger("dangjian.test").info("flow done")

    assert AuditEvent.objects.filter(event_type="update", object_id=str(person.pk)).exists()
    audit_text = "\n".join(
        json.dumps(
            [
                e.actor_name,
                e.user_agent,
                e.object_type,
                e.object_id,
                e.object_repr,
                e.reason,
                e.changes,
            ],
            ensure_ascii=False,
        )
        for e in AuditEvent.objects.all()
    )
    history_text = json.dumps(
        list(PersonChange.objects.values_list("changes", flat=True)), ensure_ascii=False
    )
    log_text = "\n".join(
        r.getMessage() + " " + json.dumps(r.args, default=str) for r in captured_logs
    )
    assert "flow done" in log_text  # the capture works
    for canary in (CANARY_ID, CANARY_ID_2, CANARY_PHONE, CANARY_PHONE_2, CANARY_PASSWORD):
        assert canary not in audit_text, canary
        assert canary not in history_text, canary
        assert canary not in log_text, canary
    # the masked forms are what the trail keeps
    assert CANARY_PHONE_2[:3] + "****" + CANARY_PHONE_2[-4:] in audit_text
    assert audit_verify().ok
