"""Session CSRF on the API (SESS-05), rate limiting (IN-06), JSON errors (ERR-01), /healthz."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.core.cache import caches
from django.test import Client
from django.utils import timezone

from dangjian.accounts.tokens import token_issue
from dangjian.core.models import Rule
from dangjian.core.rules import DEFAULT_RULES
from dangjian.core.scope import SYSTEM
from dangjian.core.testing import make_citizen_id
from dangjian.people.models import Person

CSRF_SECRET = "A" * 32


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    caches["default"].clear()


def _person_body(mine, seq: int) -> dict:
    birth = dt.date(1991, 5, 6)
    return {
        "employee_no": f"C{seq:05d}",
        "name": "跨站测试",
        "gender": "F",
        "birth_date": birth.isoformat(),
        "citizen_id": make_citizen_id(birth, "F", seq),
        "unit": mine.team_a1.pk,
    }


def _csrf_client(mine, role: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(mine.users[role])
    return client


# --- CSRF on session-authenticated writes -------------------------------------------------


def test_session_post_without_csrf_token_is_403_and_creates_nothing(mine):
    client = _csrf_client(mine, "secretary_a")
    response = client.post(
        "/api/v1/persons/", data=json.dumps(_person_body(mine, 1)), content_type="application/json"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Person.objects.filter(employee_no="C00001").exists()


def test_session_patch_without_csrf_token_is_403(mine):
    client = _csrf_client(mine, "secretary_a")
    person = Person.objects.get(pk=mine.member_a.pk)
    response = client.patch(
        f"/api/v1/persons/{person.pk}",
        data=json.dumps({"post": "x", "version": person.version}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert Person.objects.get(pk=person.pk).post == person.post


def test_session_post_with_csrf_token_succeeds(mine):
    client = _csrf_client(mine, "secretary_a")
    client.cookies["csrftoken"] = CSRF_SECRET
    response = client.post(
        "/api/v1/persons/",
        data=json.dumps(_person_body(mine, 2)),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=CSRF_SECRET,
    )
    assert response.status_code == 201, response.content
    assert Person.objects.filter(employee_no="C00002").exists()


def test_session_get_needs_no_csrf_token(mine):
    assert _csrf_client(mine, "secretary_a").get("/api/v1/persons/").status_code == 200


def test_bearer_post_needs_no_csrf_token(mine):
    _, raw = token_issue(actor=SYSTEM, user=mine.users["secretary_a"])
    response = Client(enforce_csrf_checks=True).post(
        "/api/v1/persons/",
        data=json.dumps(_person_body(mine, 3)),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 201


def test_anonymous_post_is_401_not_csrf_403(mine):
    response = Client(enforce_csrf_checks=True).post(
        "/api/v1/persons/", data=json.dumps(_person_body(mine, 4)), content_type="application/json"
    )
    assert response.status_code == 401


# --- rate limit -----------------------------------------------------------------------------


def _limit(n: int) -> None:
    category, name, _, unit, source = DEFAULT_RULES["security.api_requests_per_minute"]
    Rule.objects.update_or_create(
        key="security.api_requests_per_minute",
        defaults={"category": category, "name": name, "value": n, "unit": unit, "source": source},
    )


def test_default_limit_is_the_seeded_rule(db):
    assert Rule.objects.get(key="security.api_requests_per_minute").value == 600


def test_user_over_limit_gets_429_others_unaffected(mine):
    _limit(5)
    client = mine.client("secretary_a")
    with time_machine.travel(timezone.now(), tick=False):
        statuses = [client.get("/api/v1/me").status_code for _ in range(6)]
        assert statuses == [200] * 5 + [429]
        response = client.get("/api/v1/persons/")
        assert response.status_code == 429
        assert 1 <= int(response["Retry-After"]) <= 60
        assert "频繁" in response.json()["detail"]
        assert mine.client("shuji").get("/api/v1/me").status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=61), tick=False):
        assert client.get("/api/v1/me").status_code == 200  # a new window


def test_token_user_is_limited_too(mine):
    _limit(3)
    _, raw = token_issue(actor=SYSTEM, user=mine.users["shuji"])
    client = Client()
    with time_machine.travel(timezone.now(), tick=False):
        statuses = [
            client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code
            for _ in range(4)
        ]
    assert statuses == [200, 200, 200, 429]


def test_anonymous_guessing_is_limited_per_ip(mine):
    _limit(3)
    with time_machine.travel(timezone.now(), tick=False):
        statuses = [
            Client(REMOTE_ADDR="198.51.100.9")
            .get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer djt_guess{i:03d}_x")
            .status_code
            for i in range(4)
        ]
        assert statuses == [401, 401, 401, 429]
        assert Client(REMOTE_ADDR="198.51.100.10").get("/api/v1/me").status_code == 401


# --- errors ---------------------------------------------------------------------------------


def test_unexpected_error_is_generic_json_without_trace(mine, monkeypatch, settings):
    settings.DEBUG = False

    def boom(**kwargs):
        raise RuntimeError("secret-internal-detail")

    monkeypatch.setattr("dangjian.people.api.person_list", boom)
    client = mine.client("shuji")
    client.raise_request_exception = False
    response = client.get("/api/v1/persons/")
    assert response.status_code == 500
    body = response.content.decode()
    assert response.json()["detail"]
    assert "secret-internal-detail" not in body and "Traceback" not in body


def test_unknown_api_path_is_json_404(mine):
    response = mine.client("shuji").get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/persons/?limit=abc", "limit"),
        ("/api/v1/persons/?limit=0", "limit"),
        ("/api/v1/persons/?political_status=boss", "political_status"),
        ("/api/v1/orgs/?active=perhaps", "active"),
        ("/api/v1/units/?kind=castle", "kind"),
        ("/api/v1/orgs/?q=%00", "q"),
    ],
)
def test_bad_query_parameters_are_422_naming_the_field(mine, url, field):
    response = mine.client("shuji").get(url)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert [d["field"] for d in detail] == [field]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in d["message"]) for d in detail)


# --- health check ---------------------------------------------------------------------------


def test_healthz_is_anonymous_json_with_database_status(db):
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"


def test_healthz_reports_database_failure_as_503(db, monkeypatch):
    class Broken:
        vendor = "broken"

        def cursor(self):
            raise RuntimeError("database down")

    monkeypatch.setattr("dangjian.core.views.connection", Broken())
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "error"
    assert "database down" not in response.content.decode()
