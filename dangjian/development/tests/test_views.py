"""Pages: permission matrix (every URL x persona x in/out of scope), flat query counts of the
pipeline, step recording through the form, documents (checked uploads, scoped download), export."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.core.scope import SYSTEM
from dangjian.core.testing import ROLES, person_data
from dangjian.development import services
from dangjian.development.models import StepDocument, StepRule
from dangjian.people.services import person_create

START = dt.date(2024, 1, 8)
PDF = b"%PDF-1.4\n% demo\n"


@pytest.fixture
def cases(mine: Any) -> dict[str, Any]:
    """An in-scope case (branch A, employee_a's own person) and one in branch B."""
    a = services.case_open(actor=SYSTEM, person_id=mine.masses_a.pk, applied_on=START)
    record = services.step_complete(
        actor=SYSTEM,
        case_id=a.pk,
        step=2,
        completed_on=START,
        documents=[SimpleUploadedFile("谈话记录.pdf", PDF, "application/pdf")],
    )
    outsider = person_create(
        actor=SYSTEM,
        data=person_data(
            None,
            seq=81,
            unit=mine.team_b1,
            party_org=mine.branch_b,
            political_status="masses",
            joined_party_on=None,
            regularised_on=None,
        ),
    )
    b = services.case_open(
        actor=SYSTEM,
        person_id=outsider.pk,
        applied_on=START,
        documents=[SimpleUploadedFile("申请书.pdf", PDF, "application/pdf")],
    )
    return {
        "a": a,
        "b": b,
        "doc_a": record.documents.get(),
        "doc_b": StepDocument.objects.get(record__case=b),
    }


VIEWERS = {"shuji", "zuzhi", "union", "secretary_a", "worker_a", "member_b", "employee_a"}
WRITERS = {"shuji", "zuzhi", "secretary_a", "worker_a"}
COMMITTEE = {"shuji", "zuzhi"}
RULE_VIEWERS = {"shuji", "zuzhi", "union", "secretary_a", "worker_a"}
# who sees the branch-A case (employee_a is the applicant herself); branch B: committee only
SEES_A = {"shuji", "zuzhi", "union", "secretary_a", "worker_a", "employee_a"}
SEES_B = {"shuji", "zuzhi", "union"}


def _expect(role: str, allowed: set[str], in_scope: set[str] | None = None) -> int:
    if role not in allowed:
        return 403
    if in_scope is not None and role not in in_scope:
        return 404
    return 200


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(mine, cases, role):
    client = mine.client(role)
    a, b = cases["a"], cases["b"]
    expected = {
        "/development/": _expect(role, VIEWERS),
        "/development/overview/": _expect(role, COMMITTEE),
        "/development/rules/": _expect(role, RULE_VIEWERS),
        f"/development/rules/{StepRule.objects.get(number=2).pk}/": _expect(role, COMMITTEE),
        "/development/new/": _expect(role, WRITERS),
        "/development/export/": _expect(role, WRITERS),
        f"/development/{a.pk}/": _expect(role, VIEWERS, SEES_A),
        f"/development/{b.pk}/": _expect(role, VIEWERS, SEES_B),
        f"/development/{a.pk}/step/?step=3": _expect(role, WRITERS, WRITERS),
        f"/development/{b.pk}/step/?step=2": _expect(role, WRITERS, COMMITTEE),
        f"/development/documents/{cases['doc_a'].uid}/": _expect(role, VIEWERS, SEES_A),
        f"/development/documents/{cases['doc_b'].uid}/": _expect(role, VIEWERS, SEES_B),
    }
    got = {url: client.get(url).status_code for url in expected}
    assert got == expected


@pytest.mark.parametrize("role", ["secretary_a", "worker_a", "member_b", "employee_a", "union"])
def test_post_step_out_of_scope_or_without_permission(mine, cases, role):
    response = mine.client(role).post(
        f"/development/{cases['b'].pk}/step/", {"step": 2, "completed_on": START.isoformat()}
    )
    assert response.status_code in (403, 404)
    assert not cases["b"].steps.filter(step=2).exists()


def test_pipeline_lists_only_own_branch(mine, cases):
    body = mine.client("secretary_a").get("/development/").content.decode()
    assert cases["a"].person.name in body and cases["b"].person.name not in body
    body = mine.client("shuji").get("/development/?overdue=1").content.decode()
    assert cases["a"].person.name not in body  # step 3 has no deadline


def test_secretary_records_a_step_and_sees_the_next(mine, cases):
    client = mine.client("secretary_a")
    case = cases["a"]
    early = client.post(f"/development/{case.pk}/step/", {"step": 3, "completed_on": "2024-01-07"})
    assert early.status_code == 400 and "2024-01-08" in early.content.decode()
    response = client.post(
        f"/development/{case.pk}/step/",
        {
            "step": 3,
            "completed_on": "2024-02-01",
            "note": "支委会推荐",
            "documents": SimpleUploadedFile("推荐材料.pdf", PDF, "application/pdf"),
        },
    )
    assert response.status_code == 302
    page = client.get(f"/development/{case.pk}/").content.decode()
    assert "步骤4：报上级党委备案" in page and "推荐材料.pdf" in page and "secretary_a" in page


def test_uploads_checked(mine, cases, settings):
    client = mine.client("secretary_a")
    url = f"/development/{cases['a'].pk}/step/"
    bad = SimpleUploadedFile("fake.pdf", b"<html>not a pdf</html>", "application/pdf")
    response = client.post(url, {"step": 3, "completed_on": "2024-02-01", "documents": bad})
    assert response.status_code == 400 and "内容与扩展名不符" in response.content.decode()
    exe = SimpleUploadedFile("a.exe", b"MZ....", "application/octet-stream")
    response = client.post(url, {"step": 3, "completed_on": "2024-02-01", "documents": exe})
    assert "类型不允许" in response.content.decode()
    settings.UPLOAD_MAX_BYTES = 10
    big = SimpleUploadedFile("big.pdf", PDF + b"x" * 20, "application/pdf")
    response = client.post(url, {"step": 3, "completed_on": "2024-02-01", "documents": big})
    assert "超过" in response.content.decode()
    assert not cases["a"].steps.filter(step=3).exists()


def test_document_download_is_an_attachment(mine, cases):
    response = mine.client("secretary_a").get(f"/development/documents/{cases['doc_a'].uid}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == PDF


def _more_cases(mine: Any, count: int, start_seq: int) -> None:
    for i in range(count):
        person = person_create(
            actor=SYSTEM,
            data=person_data(
                mine,
                seq=start_seq + i,
                political_status="masses",
                joined_party_on=None,
                regularised_on=None,
            ),
        )
        services.case_open(actor=SYSTEM, person_id=person.pk, applied_on=START)


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_pipeline_and_overview_query_counts_flat(mine, cases):
    secretary, shuji = mine.client("secretary_a"), mine.client("shuji")
    small = (_queries(secretary, "/development/"), _queries(shuji, "/development/overview/"))
    detail_small = _queries(secretary, f"/development/{cases['a'].pk}/")
    _more_cases(mine, 25, 200)
    large = (_queries(secretary, "/development/"), _queries(shuji, "/development/overview/"))
    assert small == large
    assert detail_small == _queries(secretary, f"/development/{cases['a'].pk}/")


def test_committee_overview_counts(mine, cases):
    body = mine.client("shuji").get("/development/overview/").content.decode()
    assert mine.branch_a.name in body and mine.branch_b.name in body


def test_extend_form_errors_shown(mine, cases):
    client = mine.client("secretary_a")
    response = client.post(
        f"/development/{cases['a'].pk}/extend/",
        {"months": "6", "decided_on": "2024-02-01", "reason": "考察"},
        follow=True,
    )
    assert "只有预备期内的预备党员才能延长预备期" in response.content.decode()


def test_rule_edit_page_saves(mine, cases):
    rule = StepRule.objects.get(number=2)
    client = mine.client("zuzhi")
    data = {
        "name": rule.name,
        "responsible": rule.responsible,
        "documents": rule.documents,
        "source": rule.source,
        "predecessors": "1",
        "interval_from": "1",
        "interval_unit": "months",
        "max_interval": "2",
    }
    assert client.post(f"/development/rules/{rule.pk}/", data).status_code == 302
    rule.refresh_from_db()
    assert rule.max_interval == 2
    bad = dict(data, predecessors="9")
    assert client.post(f"/development/rules/{rule.pk}/", bad).status_code == 400


def test_export_contains_only_scope(mine, cases, django_capture_on_commit_callbacks):
    from openpyxl import load_workbook

    from dangjian.core.models import Job

    client = mine.client("secretary_a")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/development/export/", {"state": ""})
    assert response.status_code == 302
    job = Job.objects.get(owner=mine.users["secretary_a"])
    assert job.status == "succeeded"
    from django.conf import settings

    sheet = load_workbook(settings.PRIVATE_DIR / job.output_file).active
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == [cases["a"].person.name]
