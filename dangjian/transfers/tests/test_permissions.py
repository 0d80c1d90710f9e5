"""Permission matrix of the transfer pages and API: every URL × persona × a transfer in and out
of the persona's scope → 200/302/403/404; query counts of list and detail pages are flat."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.core import registries
from dangjian.core.scope import SYSTEM
from dangjian.transfers import services
from dangjian.transfers.models import Transfer

pytestmark = pytest.mark.django_db

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
def transfers(mine, monkeypatch):
    """A: letter issued by branch A for member A. B: letter issued by branch B for member B."""
    monkeypatch.setattr(registries, "_activity", {})

    def letter(person):
        return services.letter_issue(
            actor=SYSTEM,
            person_id=person.pk,
            external_org="外单位党委",
            paid_up_to=dt.date(2026, 1, 1),
            issued_on=dt.date(2026, 5, 1),
        )

    return {"a": letter(mine.member_a), "b": letter(mine.member_b)}


# persona -> (list, detail A, detail B, start form)
PAGES = {
    "shuji": (200, 200, 200, 200),
    "zuzhi": (200, 200, 200, 200),
    "union": (200, 200, 200, 403),
    "secretary_a": (200, 200, 404, 200),
    "worker_a": (200, 200, 404, 200),
    "member_b": (200, 404, 200, 403),
    "employee_a": (403, 403, 403, 403),
    "sysadmin": (403, 403, 403, 403),
    "secadmin": (403, 403, 403, 403),
    "auditor": (403, 403, 403, 403),
}


@pytest.mark.parametrize("role", ROLES)
def test_pages(mine, transfers, role):
    client = mine.client(role)
    expected = PAGES[role]
    got = (
        client.get(reverse("transfers:list")).status_code,
        client.get(reverse("transfers:detail", args=[transfers["a"].pk])).status_code,
        client.get(reverse("transfers:detail", args=[transfers["b"].pk])).status_code,
        client.get(reverse("transfers:start")).status_code,
    )
    # detail: a user without the view permission at all gets 404 too (nothing in scope)
    if expected[0] == 403:
        expected = (403, 404, 404, 403)
    assert got == expected
    for url in ("transfers:letter", "transfers:incoming"):
        assert client.get(reverse(url)).status_code == expected[3]


# persona -> status of POST receipt on A, and on B
RECEIPT = {
    "shuji": (302, 302),
    "zuzhi": (302, 302),
    "union": (403, 403),
    "secretary_a": (302, 404),
    "worker_a": (302, 404),
    "member_b": (404, 403),
    "employee_a": (404, 404),
    "sysadmin": (404, 404),
    "secadmin": (404, 404),
    "auditor": (404, 404),
}


@pytest.mark.parametrize("role", ROLES)
def test_receipt_post(mine, transfers, role):
    client = mine.client(role)
    got = tuple(
        client.post(
            reverse("transfers:receipt", args=[transfers[k].pk]), {"receipt_on": "2026-05-20"}
        ).status_code
        for k in ("a", "b")
    )
    assert got == RECEIPT[role]
    closed = set(
        Transfer.objects.filter(status=Transfer.Status.COMPLETED).values_list("pk", flat=True)
    )
    expected = {transfers[k].pk for k, status in zip("ab", got, strict=True) if status == 302}
    assert closed == expected


def test_list_shows_only_scope(mine, transfers):
    body = mine.client("secretary_a").get(reverse("transfers:list")).content.decode()
    assert mine.member_a.name in body and mine.member_b.name not in body


def test_receiving_side_sees_an_internal_transfer(mine, monkeypatch):
    monkeypatch.setattr(registries, "_activity", {})
    transfer = services.transfer_start(
        actor=SYSTEM,
        person_id=mine.member_b.pk,
        to_org=mine.branch_a,
        paid_up_to=dt.date(2026, 1, 1),
    )
    client = mine.client("secretary_a")
    url = reverse("transfers:detail", args=[transfer.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'data-testid="approve"' not in page.content.decode()
    services.transfer_approve(actor=SYSTEM, pk=transfer.pk)
    page = client.get(url)
    assert 'data-testid="accept"' in page.content.decode()
    response = client.post(reverse("transfers:accept", args=[transfer.pk]), {"to_group": ""})
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.COMPLETED
    mine.member_b.refresh_from_db()
    assert mine.member_b.party_org_id == mine.branch_a.pk


def test_start_form_creates_a_transfer(mine, monkeypatch):
    monkeypatch.setattr(registries, "_activity", {})
    client = mine.client("secretary_a")
    response = client.post(
        reverse("transfers:start"),
        {"person": mine.member_a.pk, "to_org": mine.branch_b.pk, "paid_up_to": "2026-04-01"},
    )
    assert response.status_code == 302
    transfer = Transfer.objects.get()
    assert transfer.from_org_id == mine.branch_a.pk and transfer.status == "pending_out"
    # a member of another branch is not offered (and not accepted)
    response = client.post(
        reverse("transfers:start"),
        {"person": mine.member_b.pk, "to_org": mine.branch_a.pk, "paid_up_to": "2026-04-01"},
    )
    assert response.status_code == 200 and Transfer.objects.count() == 1
    assert "is-invalid" in response.content.decode()


# --- API ----------------------------------------------------------------------------------

API = {  # persona -> (list, get A, get B, POST letter for member A)
    "shuji": (200, 200, 200, 201),
    "zuzhi": (200, 200, 200, 201),
    "union": (200, 200, 200, 403),
    "secretary_a": (200, 200, 404, 201),
    "worker_a": (200, 200, 404, 201),
    "member_b": (200, 404, 200, 403),
    "employee_a": (403, 403, 403, 403),
    "sysadmin": (403, 403, 403, 403),
    "secadmin": (403, 403, 403, 403),
    "auditor": (403, 403, 403, 403),
}


@pytest.mark.parametrize("role", ROLES)
def test_api(mine, transfers, role):
    from django.test import Client

    client = mine.client(role)
    assert isinstance(client, Client)
    Transfer.objects.filter(pk=transfers["a"].pk).update(status="completed")
    got = (
        client.get("/api/v1/transfers/").status_code,
        client.get(f"/api/v1/transfers/{transfers['a'].pk}").status_code,
        client.get(f"/api/v1/transfers/{transfers['b'].pk}").status_code,
        client.post(
            "/api/v1/transfers/letters",
            {"person_id": mine.member_a.pk, "external_org": "外单位", "paid_up_to": "2026-01-01"},
            content_type="application/json",
        ).status_code,
    )
    assert got == API[role]


def test_api_list_scope_and_flow(mine, transfers):
    client = mine.client("secretary_a")
    data = client.get("/api/v1/transfers/").json()
    assert data["count"] == 1 and data["items"][0]["person_id"] == mine.member_a.pk
    response = client.post(
        f"/api/v1/transfers/{transfers['a'].pk}",
        {"action": "receipt", "receipt_on": "2026-05-02"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["status"] == "completed"
    again = client.post(
        f"/api/v1/transfers/{transfers['a'].pk}",
        {"action": "receipt"},
        content_type="application/json",
    )
    assert again.status_code == 422
    # branch A cannot act on branch B's letter, nor learn that it exists
    other = client.post(
        f"/api/v1/transfers/{transfers['b'].pk}",
        {"action": "receipt"},
        content_type="application/json",
    )
    assert other.status_code == 404
    letters = client.get("/api/v1/transfers/letters").json()
    assert [i["letter_no"] for i in letters["items"]] == [transfers["a"].letter_no]


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_flat(mine, monkeypatch):
    monkeypatch.setattr(registries, "_activity", {})
    client = mine.client("secretary_a")

    def add(n):
        rows = [
            Transfer(
                kind="outgoing",
                status="completed",
                person=mine.member_a,
                from_org=mine.branch_a,
                external_org=f"外单位{i}",
            )
            for i in range(n)
        ]
        Transfer.objects.bulk_create(rows)

    add(3)
    first = Transfer.objects.first()
    assert first is not None
    small = (
        _count(client, reverse("transfers:list")),
        _count(client, reverse("transfers:detail", args=[first.pk])),
    )
    add(150)
    large = (
        _count(client, reverse("transfers:list")),
        _count(client, reverse("transfers:detail", args=[first.pk])),
    )
    assert small == large


def test_api_internal_flow(mine, monkeypatch):
    monkeypatch.setattr(registries, "_activity", {})
    sec_a = mine.client("secretary_a")
    created = sec_a.post(
        "/api/v1/transfers/",
        {"person_id": mine.member_a.pk, "to_org_id": mine.branch_b.pk, "paid_up_to": "2026-03-01"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["paid_up_to"] == "2026-03-31"
    url = f"/api/v1/transfers/{pk}"
    assert (
        mine.client("member_b")
        .post(url, {"action": "approve"}, content_type="application/json")
        .status_code
        == 404
    )
    assert sec_a.post(url, {"action": "accept"}, content_type="application/json").status_code == 422
    assert (
        sec_a.post(url, {"action": "approve"}, content_type="application/json").json()["status"]
        == "pending_in"
    )
    # branch A is not the receiving side
    assert sec_a.post(url, {"action": "accept"}, content_type="application/json").status_code == 403
    done = mine.client("shuji").post(
        url,
        {"action": "accept", "to_group_id": mine.group_b1.pk},
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["status"] == "completed"
    mine.member_a.refresh_from_db()
    assert mine.member_a.party_group_id == mine.group_b1.pk
    assert sec_a.post(url, {"action": "bogus"}, content_type="application/json").status_code == 422
