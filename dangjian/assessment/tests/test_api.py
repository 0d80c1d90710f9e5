"""/api/v1/assessment: endpoint × persona × object in and out of scope (session and token),
ETag on sheets and scores, optimistic locking over the API (stale PATCH → 409, nothing lost)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client

from dangjian.accounts.tokens import token_issue
from dangjian.assessment.models import AssessmentRound, Score, ScoreSheet
from dangjian.assessment.tests.reports_helpers import graded_round, scheme_for
from dangjian.core.scope import SYSTEM
from dangjian.core.testing import ROLES

pytestmark = pytest.mark.django_db
BASE = "/api/v1/assessment"
READERS = {"shuji", "zuzhi", "union", "secretary_a", "worker_a", "member_b"}
LEADS = {"shuji", "zuzhi"}


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    caches["default"].clear()


def _client(mine: Any, persona: str, mode: str) -> tuple[Client, dict[str, Any]]:
    if persona == "anonymous":
        return Client(), {}
    if mode == "session":
        return mine.client(persona), {}
    _, raw = token_issue(actor=SYSTEM, user=mine.users[persona], name="matrix")
    return Client(), {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def rounds(mine):
    published = graded_round(mine, {mine.branch_a: 92, mine.branch_b: 55}, quarter=1)
    hidden = graded_round(
        mine, {mine.branch_a: 80, mine.branch_b: 70}, quarter=2, public=False, state="scoring"
    )
    return published, hidden


def _score(rnd, branch, domain) -> Score:
    return Score.objects.filter(
        sheet__round=rnd, sheet__branch=branch, criterion__category__domain=domain
    ).first()  # type: ignore[return-value]


def _expected(persona: str, allowed: set[str], visible: bool = True) -> int:
    if persona == "anonymous":
        return 401
    if persona not in allowed:
        return 403
    return 200 if visible else 404


@pytest.mark.parametrize("mode", ["session", "token"])
@pytest.mark.parametrize("persona", [*ROLES, "anonymous"])
def test_read_matrix(mine, rounds, persona, mode):
    published, hidden = rounds
    client, headers = _client(mine, persona, mode)
    scheme = scheme_for(mine)
    sheet_a = ScoreSheet.objects.get(round=hidden, branch=mine.branch_a)
    sheet_b = ScoreSheet.objects.get(round=hidden, branch=mine.branch_b)
    branch_reader = persona in {"secretary_a", "worker_a"}
    cases = [
        ("/schemes", _expected(persona, LEADS)),
        (f"/schemes/{scheme.pk}", _expected(persona, LEADS)),
        ("/rounds", _expected(persona, READERS)),
        (f"/rounds/{published.pk}", _expected(persona, READERS)),
        (f"/rounds/{hidden.pk}", _expected(persona, READERS, persona != "member_b")),
        (f"/rounds/{published.pk}/results", _expected(persona, READERS)),
        (f"/rounds/{hidden.pk}/results", _expected(persona, READERS, persona in LEADS)),
        ("/sheets", _expected(persona, READERS)),
        (f"/sheets/{sheet_a.pk}", _expected(persona, READERS, persona != "member_b")),
        (
            f"/sheets/{sheet_b.pk}",
            _expected(persona, READERS, persona in LEADS or persona == "union"),
        ),
        (
            f"/scores/{_score(hidden, mine.branch_b, 'union').pk}",
            _expected(persona, READERS - {"member_b"}, persona in LEADS or persona == "union")
            if persona != "zuzhi"
            else 404,  # a department grant: only its own domain (organisation)
        ),
        (
            f"/scores/{_score(hidden, mine.branch_a, 'organisation').pk}",
            _expected(persona, READERS - {"member_b"}, persona in LEADS or branch_reader),
        ),
        ("/annual", _expected(persona, READERS - {"union"})),
        ("/annual/999999", _expected(persona, READERS - {"union"}, False)),
    ]
    got = {url: client.get(BASE + url, **headers).status_code for url, _ in cases}
    assert got == {url: code for url, code in cases}


def test_lists_are_scoped_and_results_hidden_before_publication(mine, rounds):
    published, hidden = rounds
    client = mine.client("secretary_a")
    sheets = client.get(f"{BASE}/sheets?round={hidden.pk}").json()
    assert [s["branch_id"] for s in sheets["items"]] == [mine.branch_a.pk]
    assert sheets["items"][0]["total"] is None and sheets["items"][0]["rank"] is None
    published_sheets = client.get(f"{BASE}/sheets?round={published.pk}").json()
    assert published_sheets["count"] == 2
    assert {s["rank"] for s in published_sheets["items"]} == {1, 2}
    ranking = mine.client("member_b").get(f"{BASE}/rounds/{published.pk}/results").json()
    assert [r["branch_name"] for r in ranking["rows"]] == ["综采一队党支部", "掘进二队党支部"]
    assert ranking["rows"][0]["total"] == "92.00" or float(ranking["rows"][0]["total"]) == 92
    assert ranking["branches_total"] == 2 and len(ranking["categories"]) == 6
    zuzhi = mine.client("zuzhi").get(f"{BASE}/schemes/{scheme_for(mine).pk}").json()
    assert [c["domain"] for c in zuzhi["categories"]] == ["organisation"]
    shuji = mine.client("shuji").get(f"{BASE}/schemes/{scheme_for(mine).pk}").json()
    assert len(shuji["categories"]) == 6 and len(shuji["categories"][0]["criteria"]) == 2
    union_sheet = mine.client("union").get(
        f"{BASE}/sheets/{ScoreSheet.objects.get(round=hidden, branch=mine.branch_a).pk}"
    )
    domains = {
        Score.objects.get(pk=s["id"]).criterion.category.domain
        for s in union_sheet.json()["scores"]
    }
    assert domains == {"union"}


def _patch(client: Client, url: str, body: dict[str, Any], **headers: Any) -> Any:
    return client.patch(url, data=json.dumps(body), content_type="application/json", **headers)


def test_concurrent_scorers_stale_patch_gets_409_and_nothing_is_lost(mine, rounds):
    _published, hidden = rounds
    score = _score(hidden, mine.branch_b, "organisation")
    url = f"{BASE}/scores/{score.pk}"
    first, second = mine.client("shuji"), mine.client("shuji")
    read = first.get(url)
    etag, version = read["ETag"], read.json()["version"]
    sheet_url = f"{BASE}/sheets/{score.sheet_id}"
    sheet_etag = first.get(sheet_url)["ETag"]
    ok = _patch(first, url, {"version": version, "points": "10", "reason": "会议记录完整"})
    assert ok.status_code == 200, ok.content
    assert ok.json()["points"] in ("10.00", 10, "10") and ok.json()["version"] == version + 1
    assert ok["ETag"] == f'"{version + 1}"'
    stale = _patch(second, url, {"version": version, "points": "3", "reason": "缺记录"})
    assert stale.status_code == 409
    assert stale.json()["current_version"] == version + 1
    assert "已被他人修改" in stale.json()["detail"]
    stale_if_match = _patch(second, url, {"points": "3", "reason": "缺记录"}, HTTP_IF_MATCH=etag)
    assert stale_if_match.status_code == 409
    score.refresh_from_db()
    assert str(score.points) == "10.00" and score.reason == "会议记录完整"
    assert first.get(sheet_url)["ETag"] != sheet_etag
    fresh = _patch(
        second,
        url,
        {"points": "8", "reason": "补充后复核"},
        HTTP_IF_MATCH=f'"{version + 1}"',
    )
    assert fresh.status_code == 200 and fresh.json()["reason"] == "补充后复核"
    assert _patch(second, url, {"points": "8"}).status_code == 428


def test_patch_permissions_and_lock(mine, rounds):
    published, hidden = rounds
    own = _score(hidden, mine.branch_a, "organisation")
    other = _score(hidden, mine.branch_b, "organisation")
    secretary = mine.client("secretary_a")
    assert _patch(secretary, f"{BASE}/scores/{own.pk}", {"version": 1}).status_code == 403
    union = mine.client("union")
    assert _patch(union, f"{BASE}/scores/{other.pk}", {"version": 1}).status_code == 404
    union_score = _score(hidden, mine.branch_b, "union")
    # a department scores its own category
    body = {"version": union_score.version, "points": "1", "reason": "x"}
    assert _patch(union, f"{BASE}/scores/{union_score.pk}", body).status_code == 200
    AssessmentRound.objects.filter(pk=published.pk).update(state="final")
    final = _score(published, mine.branch_a, "organisation")
    body = {"version": final.version, "points": "1", "reason": "x"}
    assert _patch(mine.client("shuji"), f"{BASE}/scores/{final.pk}", body).status_code == 422
    bad = _patch(mine.client("shuji"), f"{BASE}/scores/{other.pk}", {"version": 1, "points": -1})
    assert bad.status_code == 422


def test_advance_round(mine, rounds):
    _published, hidden = rounds
    url = f"{BASE}/rounds/{hidden.pk}/advance"
    body = json.dumps({"to_state": "review"})
    secretary = mine.client("secretary_a")
    assert secretary.post(url, body, content_type="application/json").status_code == 403
    response = mine.client("shuji").post(url, body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "review"
    missing = mine.client("shuji").post(
        f"{BASE}/rounds/999999/advance", body, content_type="application/json"
    )
    assert missing.status_code == 404
