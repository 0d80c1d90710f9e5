"""Session writes (performance, docs/performance.md): a request within a minute of the last
recorded activity writes nothing; after a minute the last-seen time and the row's expiry move
on, so the idle timeout (SESS-01) stays exact to the minute."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts.models import UserSession

HOME = reverse("dashboard:home")


def _writes(ctx: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))
    ]


def test_requests_within_a_minute_write_nothing(mine):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = mine.client("secretary_a")
        client.get(HOME)
        key = client.session.session_key
        expiry = Session.objects.get(pk=key).expire_date
        traveller.shift(dt.timedelta(seconds=30))
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(HOME).status_code == 200
        assert _writes(ctx) == []
        assert Session.objects.get(pk=key).expire_date == expiry


def test_activity_after_a_minute_moves_last_seen_and_expiry(mine):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = mine.client("secretary_a")
        client.get(HOME)
        key = client.session.session_key
        expiry = Session.objects.get(pk=key).expire_date
        seen = UserSession.objects.get(session_id=key).last_seen
        traveller.shift(dt.timedelta(seconds=61))
        assert client.get(HOME).status_code == 200
        assert Session.objects.get(pk=key).expire_date >= expiry + dt.timedelta(seconds=60)
        assert UserSession.objects.get(session_id=key).last_seen > seen


def test_idle_timeout_counts_from_recorded_activity(mine):
    """Active every 50 s for 10 minutes, then idle: logged out 30 minutes after the last
    recorded activity (at most a minute before the last request), never later."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = mine.client("secretary_a")
        for _ in range(12):
            traveller.shift(dt.timedelta(seconds=50))
            assert client.get(HOME).status_code == 200
        traveller.shift(dt.timedelta(minutes=29))
        assert client.get(HOME).status_code == 200
        traveller.shift(dt.timedelta(minutes=31))
        response = client.get(HOME)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
        assert not UserSession.objects.filter(user=mine.users["secretary_a"]).exists()
