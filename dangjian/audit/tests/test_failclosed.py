"""AUD-06: if the audit write fails, the business change is rolled back and the request fails."""

from __future__ import annotations

import pytest
from django.db import DatabaseError
from django.test import Client

from dangjian.audit.models import AuditEvent
from dangjian.people.models import Person, PersonChange
from dangjian.people.services import person_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def broken_audit(monkeypatch):
    real_save = AuditEvent.save
    refused: list[str] = []

    def failing_save(self, *args, **kwargs):
        if self.event_type == "update":
            refused.append(self.event_type)
            raise DatabaseError("audit store unavailable")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(AuditEvent, "save", failing_save)
    return refused


def _state(person):
    person = Person.objects.get(pk=person.pk)
    return (person.post, person.version, PersonChange.objects.filter(person=person).count())


def test_service_rolls_back_when_audit_write_fails(mine, broken_audit):
    before = _state(mine.member_a)
    events = AuditEvent.objects.count()
    with pytest.raises(DatabaseError):
        person_update(actor=mine.users["secretary_a"], person=mine.member_a, data={"post": "班长"})
    assert broken_audit == ["update"]
    assert _state(mine.member_a) == before
    assert AuditEvent.objects.count() == events


@pytest.mark.urls("dangjian.audit.tests.failclosed_urls")
def test_request_fails_and_nothing_changes_when_audit_write_fails(mine, broken_audit):
    before = _state(mine.member_a)
    client = Client(raise_request_exception=False)
    client.force_login(mine.users["secretary_a"])
    response = client.post(f"/test-person/{mine.member_a.pk}/post/", {"post": "班长"})
    assert response.status_code == 500
    assert broken_audit == ["update"]  # the failure came from the audit write
    assert _state(mine.member_a) == before
    assert not AuditEvent.objects.filter(event_type="update").exists()


@pytest.mark.urls("dangjian.audit.tests.failclosed_urls")
def test_same_request_succeeds_with_a_working_audit(mine):
    client = mine.client("secretary_a")
    response = client.post(f"/test-person/{mine.member_a.pk}/post/", {"post": "班长"})
    assert response.status_code == 200
    assert Person.objects.get(pk=mine.member_a.pk).post == "班长"
    event = AuditEvent.objects.get(event_type="update")
    assert event.changes["post"] == ["采煤工", "班长"]
    assert event.actor_name == "secretary_a"
