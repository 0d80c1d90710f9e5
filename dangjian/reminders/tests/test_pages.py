"""To-do centre pages and API: permission matrix per persona, scope of reminders and
notifications, mark read, the header bell, the home page section, flat query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.core import registries
from dangjian.core.registries import DueItem
from dangjian.reminders.models import Notification, Reminder
from dangjian.reminders.services import reminders_refresh

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)
ROLES = (
    "shuji",
    "zuzhi",
    "union",
    "secretary_a",
    "worker_a",
    "member_b",
    "employee_a",
    "sysadmin",
    "secadmin",
    "auditor",
)


@pytest.fixture
def items(mine, monkeypatch):
    """A red item of branch A, a yellow one about member B (branch B), refreshed."""
    table = {
        "t": lambda today: [
            DueItem("t:a", "测试", "甲支部换届已逾期", TODAY, "red", mine.branch_a.pk),
            DueItem(
                "t:b",
                "测试",
                "乙支部党员未交党费",
                TODAY,
                "yellow",
                mine.branch_b.pk,
                mine.member_b.pk,
            ),
        ]
    }
    monkeypatch.setattr(registries, "_reminder_rules", table)
    reminders_refresh(TODAY)
    return {r.key: r for r in Reminder.objects.all()}


# persona -> (todo page, titles visible, bell count)
TODO = {
    "shuji": (200, {"甲支部换届已逾期", "乙支部党员未交党费"}, 1),
    "zuzhi": (200, {"甲支部换届已逾期", "乙支部党员未交党费"}, 1),
    "union": (200, {"甲支部换届已逾期", "乙支部党员未交党费"}, 0),
    "secretary_a": (200, {"甲支部换届已逾期"}, 1),
    "worker_a": (200, {"甲支部换届已逾期"}, 1),
    "member_b": (200, {"乙支部党员未交党费"}, 1),
    "employee_a": (200, set(), 0),
    "sysadmin": (403, set(), 0),
    "secadmin": (403, set(), 0),
    "auditor": (403, set(), 0),
}


@pytest.mark.parametrize("role", ROLES)
def test_todo_matrix(mine, items, role):
    client = mine.client(role)
    status, titles, unread = TODO[role]
    response = client.get(reverse("reminders:todo"))
    assert response.status_code == status
    body = response.content.decode()
    for title in ("甲支部换届已逾期", "乙支部党员未交党费"):
        assert (title in body) is (title in titles)
    bell = client.get(reverse("reminders:bell"))
    assert bell.status_code == 200
    count = bell.content.decode()
    assert (f">{unread}</span>" in count) if unread else ('data-testid="bell-count"' not in count)
    api = client.get("/api/v1/reminders/")
    assert api.status_code == status
    if status == 200:
        assert {i["title"] for i in api.json()["items"]} == titles


@pytest.mark.parametrize("role", ROLES)
def test_mark_read_only_own(mine, items, role):
    client = mine.client(role)
    mine_ = Notification.objects.filter(user=mine.users[role]).first()
    other = Notification.objects.exclude(user=mine.users[role]).first()
    assert other is not None
    assert client.post(reverse("reminders:mark_read", args=[other.pk])).status_code in (403, 404)
    assert Notification.objects.get(pk=other.pk).read_at is None
    if mine_ is not None:
        assert client.post(reverse("reminders:mark_read", args=[mine_.pk])).status_code == 302
        assert Notification.objects.get(pk=mine_.pk).read_at is not None
    expected = 403 if TODO[role][0] == 403 else 302
    assert client.post(reverse("reminders:mark_all_read")).status_code == expected


def test_mark_all_read_and_notifications_api(mine, items):
    client = mine.client("secretary_a")
    data = client.get("/api/v1/reminders/notifications?unread=true").json()
    assert data["count"] == 1 and data["items"][0]["reminder"]["key"] == "t:a"
    client.post(reverse("reminders:mark_all_read"))
    assert client.get("/api/v1/reminders/notifications?unread=true").json()["count"] == 0
    assert Notification.objects.filter(user__username="shuji", read_at__isnull=True).exists()


def test_home_page_shows_the_engine_to_do(mine, items):
    body = mine.client("secretary_a").get("/").content.decode()
    assert 'data-testid="reminders"' in body and "甲支部换届已逾期" in body
    assert "乙支部党员未交党费" not in body
    body = mine.client("member_b").get("/").content.decode()
    assert "乙支部党员未交党费" in body and "甲支部换届已逾期" not in body
    body = mine.client("sysadmin").get("/").content.decode()
    assert 'data-testid="reminders"' not in body
    # the shell loads the bell once (no polling that would defeat the idle timeout)
    assert 'hx-get="/todo/bell/" hx-trigger="load"' in body


def test_resolved_items_leave_the_to_do(mine, items, monkeypatch):
    monkeypatch.setattr(registries, "_reminder_rules", {"t": lambda today: []})
    reminders_refresh(TODAY)
    client = mine.client("secretary_a")
    assert "甲支部换届已逾期" not in client.get(reverse("reminders:todo")).content.decode()
    resolved = client.get(reverse("reminders:todo"), {"state": "resolved"}).content.decode()
    assert "甲支部换届已逾期" in resolved
    assert 'data-testid="bell-count"' not in client.get(reverse("reminders:bell")).content.decode()


def test_todo_query_count_flat(mine, monkeypatch):
    def rule_with(n):
        return {
            "t": lambda today: [
                DueItem(f"n:{i}", "测试", f"事项{i}", TODAY, "yellow", mine.branch_a.pk)
                for i in range(n)
            ]
        }

    client = mine.client("secretary_a")

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    monkeypatch.setattr(registries, "_reminder_rules", rule_with(3))
    reminders_refresh(TODAY)
    client.get("/")  # the home page's figures are a snapshot per scope: compare warm requests
    small = (count(reverse("reminders:todo")), count("/"), count(reverse("reminders:bell")))
    monkeypatch.setattr(registries, "_reminder_rules", rule_with(60))
    reminders_refresh(TODAY)
    large = (count(reverse("reminders:todo")), count("/"), count(reverse("reminders:bell")))
    assert Reminder.objects.filter(resolved_at__isnull=True).count() == 60
    assert small == large
