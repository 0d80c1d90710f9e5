"""Dues API: scoped lists, payment creation (proxy, make-up limit as 422), roll-ups, arrears."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dangjian.core.scope import SYSTEM
from dangjian.core.testing import hold_date
from dangjian.dues import services
from dangjian.dues.models import DuesPayment
from dangjian.dues.tests.helpers import assess

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
THIS = f"{TODAY.year}-{TODAY.month:02d}"


@pytest.fixture(autouse=True)
def _still_today():
    with hold_date(TODAY):  # TODAY is read once, at collection
        yield


@pytest.fixture
def bills(mine):
    assess(mine.member_a, TODAY.year, 4000)
    assess(mine.member_b, TODAY.year, 6000)
    services.bills_generate(actor=SYSTEM, year=TODAY.year, month=TODAY.month)


def test_bills_are_scoped(mine, bills):
    data = mine.client("secretary_a").get("/api/v1/dues/bills").json()
    assert data["count"] == 1 and data["items"][0]["person_id"] == mine.member_a.pk
    assert data["items"][0]["amount_fen"] == 4000
    data = mine.client("member_b").get("/api/v1/dues/bills").json()
    assert [b["person_id"] for b in data["items"]] == [mine.member_b.pk]
    assert mine.client("shuji").get("/api/v1/dues/bills").json()["count"] == 2
    assert mine.client("employee_a").get("/api/v1/dues/bills").status_code == 403
    assert mine.client("auditor").get("/api/v1/dues/bills").status_code == 403


def test_create_payment_proxy_and_errors(mine, bills):
    client = mine.client("secretary_a")
    body = {
        "person": mine.member_a.pk,
        "months": [THIS],
        "paid_on": TODAY.isoformat(),
        "kind": "monthly",
        "is_proxy": True,
        "payer_name": "代交人甲",
    }
    resp = client.post("/api/v1/dues/payments", body, content_type="application/json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["payer_name"] == "代交人甲" and resp.json()["amount_fen"] == 4000
    # again: already paid → 422 with a Chinese message
    resp = client.post("/api/v1/dues/payments", body, content_type="application/json")
    assert resp.status_code == 422 and "已交纳" in resp.json()["detail"][0]["message"]
    # another branch's member: 404
    resp = client.post(
        "/api/v1/dues/payments",
        {**body, "person": mine.member_b.pk},
        content_type="application/json",
    )
    assert resp.status_code == 404
    # a member cannot record payments
    resp = mine.client("member_b").post(
        "/api/v1/dues/payments",
        {**body, "person": mine.member_b.pk},
        content_type="application/json",
    )
    assert resp.status_code == 403
    assert DuesPayment.objects.count() == 1


def test_makeup_beyond_limit_is_422(mine, bills):
    old = TODAY.replace(day=1) - dt.timedelta(days=230)
    assess(mine.member_a, old.year, 4000)
    services.bills_generate(actor=SYSTEM, year=old.year, month=old.month)
    resp = mine.client("shuji").post(
        "/api/v1/dues/payments",
        {
            "person": mine.member_a.pk,
            "months": [f"{old.year}-{old.month:02d}"],
            "paid_on": TODAY.isoformat(),
            "kind": "makeup",
        },
        content_type="application/json",
    )
    assert resp.status_code == 422
    assert "补交最多 6 个月" in resp.json()["detail"][0]["message"]


def test_rollups_and_arrears(mine, bills):
    data = mine.client("shuji").get(f"/api/v1/dues/rollups?year={TODAY.year}").json()
    assert data["total"]["due_fen"] == 4000 + 9000
    assert sum(r["due_fen"] for r in data["rows"]) == data["total"]["due_fen"]
    assert (
        mine.client("secretary_a")
        .get(f"/api/v1/dues/rollups?year={TODAY.year}&org={mine.branch_b.pk}")
        .status_code
        == 404
    )
    assert mine.client("member_b").get(f"/api/v1/dues/rollups?year={TODAY.year}").status_code == 403
    resp = mine.client("shuji").get("/api/v1/dues/arrears")
    assert resp.status_code == 200 and resp.json()["count"] == 0  # this month is not overdue
