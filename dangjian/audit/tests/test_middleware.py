"""AUD-01: every 403 is recorded as permission_denied with the authenticated actor."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from dangjian.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["shuji", "sysadmin", "secadmin", "secretary_a"])
def test_403_is_audited_with_actor_ip_and_request_id(mine, role):
    client = mine.client(role)
    url = reverse("audit:event_list")
    response = client.get(url, REMOTE_ADDR="10.9.8.7", HTTP_USER_AGENT="pytest-agent")
    assert response.status_code == 403
    event = AuditEvent.objects.get(event_type="permission_denied")
    assert event.outcome == "denied"
    assert event.actor_id == mine.users[role].pk
    assert event.actor_name == role
    assert event.ip == "10.9.8.7"
    assert event.user_agent == "pytest-agent"
    assert event.request_id == response["X-Request-ID"]
    assert event.channel == "web"
    assert event.changes == {"path": url, "method": "GET"}
    assert event.object_id == url


def test_csrf_failure_is_audited(mine):
    client = Client(enforce_csrf_checks=True)
    client.force_login(mine.users["auditor"])
    response = client.post(reverse("audit:event_export"), {})
    assert response.status_code == 403
    event = AuditEvent.objects.get(event_type="permission_denied")
    assert event.changes["method"] == "POST"
    assert event.actor_id == mine.users["auditor"].pk


def test_allowed_requests_record_no_denial(mine):
    assert mine.client("auditor").get(reverse("audit:event_list")).status_code == 200
    assert not AuditEvent.objects.filter(event_type="permission_denied").exists()


def test_events_inside_a_request_name_the_authenticated_user(mine):
    """The act context carries request.user, so audit_record without actor names them."""
    mine.client("auditor").get(reverse("audit:event_list"))
    search = AuditEvent.objects.get(event_type="audit_search")
    assert search.actor_name == "auditor"
    assert search.channel == "web"
