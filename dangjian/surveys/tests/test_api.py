"""API /api/v1/surveys/: list/detail scope per persona, results after close, POST a response
(eligibility, one per person, precise validation), no response id handed back."""

from __future__ import annotations

import json

import pytest

from dangjian.core.testing import ROLES
from dangjian.surveys.models import Participation, Response
from dangjian.surveys.tests.helpers import answer_all, full_answers, respondents, survey

pytestmark = pytest.mark.django_db
BASE = "/api/v1/surveys/"


@pytest.fixture
def pair(mine):
    return survey(mine, audience="all"), survey(mine, audience="all", org=mine.branch_b)


# role → (list count or status, detail A, detail B, POST a response to A)
EXPECTED = {
    "shuji": (2, 200, 200, 404),
    "zuzhi": (2, 200, 200, 404),
    "union": (403, 403, 403, 404),
    "secretary_a": (1, 200, 404, 404),
    "worker_a": (1, 200, 404, 404),
    "member_b": (403, 403, 403, 404),
    "employee_a": (403, 403, 403, 201),
    "sysadmin": (403, 403, 403, 403),
    "secadmin": (403, 403, 403, 403),
    "auditor": (403, 403, 403, 403),
}


def _post(client, survey_id, answers):
    return client.post(
        f"{BASE}{survey_id}/responses",
        data=json.dumps({"answers": answers}),
        content_type="application/json",
    )


@pytest.mark.parametrize("role", ROLES)
def test_api_permission_matrix(mine, pair, role):
    a, b = pair
    client = mine.client(role)
    listing, detail_a, detail_b, post_a = EXPECTED[role]
    response = client.get(BASE)
    if isinstance(listing, int) and listing >= 100:
        assert response.status_code == listing
    else:
        assert response.status_code == 200 and response.json()["count"] == listing
    assert client.get(f"{BASE}{a.pk}").status_code == detail_a
    assert client.get(f"{BASE}{b.pk}").status_code == detail_b
    posted = _post(client, a.pk, full_answers(a))
    assert posted.status_code == post_a, posted.content
    if post_a == 201:
        assert posted.json() == {"detail": "答卷已匿名提交。"}  # no id of the sheet
    assert Response.objects.filter(survey=a).count() == (1 if post_a == 201 else 0)
    mine_status = client.get(f"{BASE}mine").status_code
    assert mine_status == (403 if role in ("sysadmin", "secadmin", "auditor") else 200)


def test_post_refuses_a_second_response_and_invalid_answers(mine, pair):
    a, _ = pair
    client = mine.client("employee_a")
    scale_id = str(a.questions.filter(kind="scale").first().pk)
    bad = _post(client, a.pk, {**full_answers(a), scale_id: 7})
    assert bad.status_code == 422
    assert bad.json()["detail"][0] == {
        "field": scale_id,
        "message": "第 1 题：分值应为 1 至 5 的整数。",
    }
    assert _post(client, a.pk, {**full_answers(a), "abc": 1}).status_code == 422
    assert _post(client, a.pk, full_answers(a)).status_code == 201
    again = _post(client, a.pk, full_answers(a))
    assert again.status_code == 422
    assert "每人只能提交一次" in again.json()["detail"][0]["message"]
    assert Participation.objects.filter(survey=a).count() == 1
    mine_list = client.get(f"{BASE}mine").json()
    assert [(s["id"], s["answered"]) for s in mine_list] == [(a.pk, True)]
    assert len(mine_list[0]["questions"]) == a.questions.count()


def test_detail_gives_results_only_after_close_and_above_the_minimum(mine):
    s = survey(mine, audience="members", minimum=2)
    answer_all(s, respondents(mine, 2), scales=[5, 4])
    client = mine.client("shuji")
    open_detail = client.get(f"{BASE}{s.pk}").json()["results"]
    assert open_detail["visible"] is False and open_detail["questions"] == []
    assert open_detail["respondents"] == 2 and open_detail["score"] is None
    client.post(f"/surveys/{s.pk}/close/")
    closed = client.get(f"{BASE}{s.pk}").json()["results"]
    assert closed["visible"] and closed["counted"] and closed["score"] == 87.5
    first = closed["questions"][0]
    assert first["mean"] == 4.5 and first["distribution"] == [0, 0, 0, 1, 1]
    s.min_respondents = 3
    s.save(update_fields=["min_respondents"])
    short = client.get(f"{BASE}{s.pk}").json()["results"]
    assert not short["counted"] and short["questions"] == [] and short["score"] is None
    assert short["label"] == "参评人数不足（2/3）"


def test_list_filters(mine, pair):
    client = mine.client("shuji")
    assert client.get(BASE, {"state": "open"}).json()["count"] == 2
    assert client.get(BASE, {"state": "closed"}).json()["count"] == 0
    assert client.get(BASE, {"q": mine.branch_b.name}).json()["count"] == 1
    assert client.get(BASE, {"audience": "nobody"}).status_code == 422
