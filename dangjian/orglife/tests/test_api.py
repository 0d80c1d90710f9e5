"""API /api/v1/meetings/: scope, create, check-in, attendance, compliance."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.core.scope import SYSTEM
from dangjian.orglife import services
from dangjian.orglife.tests.helpers import hold, schedule, types

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 5, 20)
BASE = "/api/v1/meetings/"


@pytest.fixture
def meetings(mine):
    types()
    return hold(mine, "theme_day", DAY), hold(mine, "theme_day", DAY, org=mine.branch_b)


def test_list_and_detail_are_scoped(mine, meetings):
    a, b = meetings
    client = mine.client("secretary_a")
    data = client.get(BASE).json()
    assert data["count"] == 1 and data["items"][0]["id"] == a.pk
    assert client.get(f"{BASE}{b.pk}").status_code == 404
    detail = client.get(f"{BASE}{a.pk}").json()
    assert detail["attendances"][0]["person_id"] == mine.member_a.pk
    assert mine.client("shuji").get(BASE).json()["count"] == 2
    assert mine.client("employee_a").get(BASE).status_code == 403
    assert mine.client("member_b").get(BASE).json()["count"] == 1
    assert mine.client("shuji").get(BASE, {"period": "2026-13"}).status_code == 422
    assert (
        mine.client("shuji").get(BASE, {"period": "2026-Q2", "type": "theme_day"}).json()["count"]
        == 2
    )


def test_create_validates_and_scopes(mine):
    types()
    client = mine.client("secretary_a")
    body = {
        "org": mine.branch_a.pk,
        "meeting_type": "branch_general",
        "title": "二季度支部党员大会",
        "planned_at": "2026-05-20T15:00:00+08:00",
    }
    response = client.post(BASE, body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["period_start"] == "2026-04-01"
    other = client.post(BASE, {**body, "org": mine.branch_b.pk}, content_type="application/json")
    assert other.status_code == 422 and other.json()["detail"][0]["field"] == "org"
    group = client.post(
        BASE, {**body, "meeting_type": "group_meeting"}, content_type="application/json"
    )
    assert group.status_code == 422 and group.json()["detail"][0]["field"] == "meeting_type"
    assert mine.client("union").post(BASE, body, content_type="application/json").status_code == 403


def test_check_in_and_attendance(mine):
    types()
    meeting = schedule(mine, "theme_day", DAY, org=mine.branch_b)
    meeting = services.meeting_notify(actor=SYSTEM, meeting=meeting)
    meeting = services.meeting_open_signin(actor=SYSTEM, meeting=meeting)
    token = services.signin_token(meeting)
    member = mine.client("member_b")
    first = member.post(f"{BASE}checkin", {"token": token}, content_type="application/json")
    assert first.status_code == 200 and first.json()["created"] is True
    again = member.post(f"{BASE}checkin", {"token": token}, content_type="application/json")
    assert again.json()["created"] is False
    assert (
        member.post(f"{BASE}checkin", {"token": "x"}, content_type="application/json").status_code
        == 404
    )
    assert (
        mine.client("secretary_a")
        .post(f"{BASE}checkin", {"token": token}, content_type="application/json")
        .status_code
        == 403
    )
    url = f"{BASE}{meeting.pk}/attendance"
    body = {"person": mine.member_b.pk, "status": "leave", "reason": "探亲"}
    assert (
        mine.client("secretary_a").post(url, body, content_type="application/json").status_code
        == 404
    )
    ok = mine.client("shuji").post(url, body, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["status"] == "leave"
    missing = mine.client("shuji").post(
        url, {**body, "reason": ""}, content_type="application/json"
    )
    assert missing.status_code == 422


def test_compliance_endpoint(mine, meetings):
    client = mine.client("secretary_a")
    data = client.get(f"{BASE}compliance", {"org": mine.branch_a.pk, "month": "2026-05"}).json()
    assert {row["org_id"] for row in data} == {mine.branch_a.pk, mine.group_a1.pk}
    branch = next(row for row in data if row["org_id"] == mine.branch_a.pk)
    theme = next(s for s in branch["slots"] if s["meeting_type"] == "theme_day")
    assert theme["status"] == "held" and theme["meetings"] == [meetings[0].pk]
    assert client.get(f"{BASE}compliance", {"org": mine.branch_b.pk}).status_code == 404
    assert (
        client.get(f"{BASE}compliance", {"org": mine.branch_a.pk, "month": "x"}).status_code == 422
    )
