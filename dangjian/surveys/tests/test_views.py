"""Pages: permission matrix (every URL × personas × in/out of scope), answering through the
form, results hidden until close and below the minimum, Excel, flat query counts."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from dangjian.core.testing import ROLES
from dangjian.surveys.models import Participation, Response, Survey
from dangjian.surveys.tests.helpers import answer_all, full_answers, respondents, survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(mine):
    return survey(mine, audience="all"), survey(mine, audience="all", org=mine.branch_b)


MANAGERS = {"shuji", "zuzhi"}
BRANCH_A = {"secretary_a", "worker_a"}
ADMINS = {"sysadmin", "secadmin", "auditor"}


def _read(role: str) -> tuple[int, int, int]:
    """(list/export, detail A, detail B)"""
    if role in MANAGERS:
        return 200, 200, 200
    if role in BRANCH_A:
        return 200, 200, 404
    return 403, 403, 403


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_of_the_manager_pages(mine, pair, role):
    a, b = pair
    client = mine.client(role)
    listing, detail_a, detail_b = _read(role)
    assert client.get(reverse("surveys:list")).status_code == listing
    assert client.get(reverse("surveys:export")).status_code == listing
    assert client.get(reverse("surveys:detail", args=[a.pk])).status_code == detail_a
    assert client.get(reverse("surveys:detail", args=[b.pk])).status_code == detail_b
    create = 200 if role in MANAGERS else 403
    assert client.get(reverse("surveys:create")).status_code == create
    close_b = client.post(reverse("surveys:transition", args=[b.pk, "close"])).status_code
    assert close_b == (302 if role in MANAGERS else 403)
    assert Survey.objects.get(pk=b.pk).state == ("closed" if role in MANAGERS else "open")


# role → (mine page, answer A (all-audience survey of branch A), answer B)
ANSWER = {
    "shuji": (200, 404, 404),  # no person behind the account: not eligible
    "zuzhi": (200, 404, 404),
    "union": (200, 404, 404),
    "secretary_a": (200, 404, 404),
    "worker_a": (200, 404, 404),
    "member_b": (200, 404, 200),
    "employee_a": (200, 200, 404),  # masses_a, working in branch A's team
    "sysadmin": (403, 403, 403),
    "secadmin": (403, 403, 403),
    "auditor": (403, 403, 403),
}


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_of_the_respondent_pages(mine, pair, role):
    a, b = pair
    client = mine.client(role)
    page, answer_a, answer_b = ANSWER[role]
    assert client.get(reverse("surveys:mine")).status_code == page
    assert client.get(reverse("surveys:answer", args=[a.pk])).status_code == answer_a
    assert client.get(reverse("surveys:answer", args=[b.pk])).status_code == answer_b
    post_a = client.post(reverse("surveys:answer", args=[a.pk]), _form(a)).status_code
    assert post_a == (302 if answer_a == 200 else answer_a)
    assert Participation.objects.filter(survey=a).count() == (1 if answer_a == 200 else 0)


def _form(s: Survey, scale: int = 4) -> dict[str, str]:
    return {f"q{k}": str(v) for k, v in full_answers(s, scale, text="建议多开展技术比武").items()}


def test_member_answers_once_through_the_form(mine, pair):
    _, b = pair
    client = mine.client("member_b")
    page = client.get(reverse("surveys:mine"))
    assert b.title in page.content.decode() and b"answer-link" in page.content
    form = _form(b)
    first_scale = next(iter(form))
    bad = client.post(reverse("surveys:answer", args=[b.pk]), {**form, first_scale: "9"})
    assert bad.status_code == 400 and "1 至 5 的整数" in bad.content.decode()
    assert not Participation.objects.exists()
    done = client.post(reverse("surveys:answer", args=[b.pk]), form)
    assert done.status_code == 302 and done["Location"] == reverse("surveys:mine")
    again = client.post(reverse("surveys:answer", args=[b.pk]), form)
    assert again.status_code == 400 and b"already-answered" in again.content
    assert Response.objects.filter(survey=b).count() == 1
    listed = client.get(reverse("surveys:mine")).content.decode()
    assert "已提交" in listed


def test_results_are_shown_after_close_and_only_above_the_minimum(mine):
    s = survey(mine, audience="members", minimum=3)
    answer_all(s, respondents(mine, 2), scales=[5, 4])
    secretary, shuji = mine.client("secretary_a"), mine.client("shuji")
    page = secretary.get(reverse("surveys:detail", args=[s.pk])).content.decode()
    assert "results-hidden" in page and "question-result" not in page
    shuji.post(reverse("surveys:transition", args=[s.pk, "close"]))
    page = secretary.get(reverse("surveys:detail", args=[s.pk])).content.decode()
    assert "参评人数不足（2/3）" in page and "question-result" not in page
    s2 = survey(mine, audience="members", minimum=2, context="x:1")
    answer_all(s2, respondents(mine, 2, start=250), scales=[5, 3])
    shuji.post(reverse("surveys:transition", args=[s2.pk, "close"]))
    page = secretary.get(reverse("surveys:detail", args=[s2.pk])).content.decode()
    assert page.count('data-testid="question-result"') == s2.questions.count()
    assert "data-echarts" in page and 'id="chart-0"' in page
    assert "75.0" in page  # overall


def test_create_through_the_form(mine):
    client = mine.client("zuzhi")
    bad = client.post(
        reverse("surveys:create"),
        {
            "title": "测评",
            "org": mine.branch_a.pk,
            "audience": "all",
            "opens_on": "2026-05-10",
            "closes_on": "2026-05-01",
        },
    )
    assert bad.status_code == 400 and "截止日期不能早于开始日期" in bad.content.decode()
    ok = client.post(
        reverse("surveys:create"),
        {
            "title": "二季度测评",
            "org": mine.branch_a.pk,
            "audience": "masses",
            "opens_on": "2026-05-01",
            "closes_on": "2099-05-10",
            "min_respondents": "4",
            "open_now": "1",
        },
    )
    s = Survey.objects.get(title="二季度测评")
    assert ok.status_code == 302 and ok["Location"] == reverse("surveys:detail", args=[s.pk])
    assert (s.state, s.audience, s.min_respondents) == ("open", "masses", 4)
    assert s.questions.count() >= 5


def test_excel_export_holds_the_scope_and_results_of_closed_surveys(mine):
    a = survey(mine, audience="members", minimum=1)
    b = survey(mine, audience="members", org=mine.branch_b)
    answer_all(a, respondents(mine, 1), scales=[5])
    mine.client("shuji").post(reverse("surveys:transition", args=[a.pk, "close"]))
    response = mine.client("secretary_a").get(reverse("surveys:export"))
    book = load_workbook(io.BytesIO(response.content))
    rows = list(book["测评汇总"].iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][1] == mine.branch_a.name and rows[1][10] == 100
    detail = list(book["分题结果"].iter_rows(values_only=True))
    assert len(detail) == 1 + a.questions.filter(kind="scale").count()
    assert b.subject_org.name not in str(rows)


def test_list_detail_and_mine_pages_keep_a_flat_query_count(mine):
    client = mine.client("shuji")
    employee = mine.client("employee_a")

    def measure(n: int, start: int) -> tuple[int, int, int]:
        last = None
        for i in range(n):
            last = survey(mine, audience="all", context=f"q:{start + i}", minimum=1)
        assert last is not None
        answer_all(last, respondents(mine, n, start=start, masses=True))
        mine.client("shuji").post(reverse("surveys:transition", args=[last.pk, "close"]))
        counts = []
        for c, url in (
            (client, reverse("surveys:list")),
            (client, reverse("surveys:detail", args=[last.pk])),
            (employee, reverse("surveys:mine")),
        ):
            with CaptureQueriesContext(connection) as ctx:
                assert c.get(url).status_code == 200
            counts.append(len(ctx))
        return counts[0], counts[1], counts[2]

    assert measure(2, 300) == measure(8, 320)
