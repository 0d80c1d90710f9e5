"""通报 Word/PDF, ranking Excel and the scores export: opened, checked, scoped, injection-safe."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

from dangjian.assessment.models import Score, ScoreSheet
from dangjian.assessment.tests.reports_helpers import graded_round
from dangjian.audit.models import AuditEvent
from dangjian.core.models import Job

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(mine):
    rnd = graded_round(mine, {mine.branch_a: 92, mine.branch_b: 55}, quarter=1)
    ScoreSheet.objects.filter(round=rnd, branch=mine.branch_b).update(
        vetoed=True, veto_reason="发生安全生产责任事故", star=None
    )
    ScoreSheet.objects.filter(round=rnd, branch=mine.branch_a).update(is_model_site=True)
    return rnd


def _docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append("|".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def test_notice_docx_has_title_ranking_stars_sites_vetoes_problems(mine, published):
    response = mine.client("shuji").get(
        reverse("assessment:round_notice", args=[published.pk, "docx"])
    )
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    text = _docx_text(response.content)
    a = ScoreSheet.objects.get(round=published, branch=mine.branch_a)
    assert f"关于{published.name}结果的通报" in text
    assert "对2个党支部" in text
    assert "1|综采一队党支部|" in text and "|92|" + "★" * (a.star or 0) + "|示范点" in text
    assert "掘进二队党支部：发生安全生产责任事故，取消星级评定。" in text
    assert "综采一队党支部被确定为示范点" in text
    assert "个支部失分" in text and "会议记录不全" in text
    assert "党建工作（满分40分）" in text
    assert AuditEvent.objects.filter(
        event_type="export", object_repr__contains=published.name
    ).exists()


def test_notice_pdf_text_is_extractable(mine, published):
    response = mine.client("secretary_a").get(
        reverse("assessment:round_notice", args=[published.pk, "pdf"])
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "结果的通报" in text and "综采一队党支部" in text and "掘进二队党支部" in text
    assert "一票否决" in text


def test_notice_before_publication_only_for_leads(mine):
    rnd = graded_round(mine, {mine.branch_a: 80, mine.branch_b: 60}, public=False)
    url = reverse("assessment:round_notice", args=[rnd.pk, "pdf"])
    assert mine.client("shuji").get(url).status_code == 200
    assert mine.client("secretary_a").get(url).status_code == 404
    assert mine.client("member_b").get(url).status_code == 404
    assert mine.client("employee_a").get(url).status_code == 403
    assert (
        mine.client("shuji")
        .get(reverse("assessment:round_notice", args=[rnd.pk, "exe"]))
        .status_code
        == 404
    )


def test_ranking_xlsx_and_permissions(mine, published):
    response = mine.client("shuji").get(reverse("assessment:results_xlsx", args=[published.pk]))
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1][:2] == ("名次", "党支部")
    assert [r[1] for r in rows[2:]] == ["综采一队党支部", "掘进二队党支部"]
    for role in ("union", "member_b", "employee_a"):  # no export_scoresheet
        url = reverse("assessment:results_xlsx", args=[published.pk])
        assert mine.client(role).get(url).status_code == 403


def _run_export(client, rnd, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("assessment:scores_export", args=[rnd.pk]))
    assert response.status_code == 302
    job = Job.objects.latest("pk")
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert client.get(reverse("assessment:scores_export_job", args=[job.uid])).status_code == 200
    workbook = load_workbook(settings.PRIVATE_DIR / job.output_file, read_only=True)
    return list(workbook.active.iter_rows(values_only=True))


def test_scores_export_rows_evidence_and_injection_safe(
    mine, published, django_capture_on_commit_callbacks
):
    score = Score.objects.filter(sheet__round=published, sheet__branch=mine.branch_a).first()
    assert score is not None
    Score.objects.filter(pk=score.pk).update(
        reason='=HYPERLINK("http://x")', record_links=[["orglife.meeting", 7]]
    )
    rows = _run_export(mine.client("shuji"), published, django_capture_on_commit_callbacks)
    header, data = rows[0], rows[1:]
    assert header[:5] == ("考核轮次", "党支部", "考核大项", "细则编号", "考核细则")
    assert len(data) == 2 * 12
    first = data[0]
    assert first[header.index("扣分/调整理由")] == '\'=HYPERLINK("http://x")'
    assert "#7" in first[header.index("关联记录")]
    assert first[header.index("考核方式")] == "听取汇报、查阅资料"
    assert {r[1] for r in data} == {"综采一队党支部", "掘进二队党支部"}


def test_scores_export_of_a_branch_has_only_its_rows(
    mine, published, django_capture_on_commit_callbacks
):
    rows = _run_export(mine.client("secretary_a"), published, django_capture_on_commit_callbacks)
    assert {r[1] for r in rows[1:]} == {"综采一队党支部"}
    assert (
        mine.client("union")
        .get(reverse("assessment:scores_export", args=[published.pk]))
        .status_code
        == 403
    )
    job = Job.objects.latest("pk")
    other = mine.client("shuji").get(reverse("assessment:scores_export_job", args=[job.uid]))
    assert other.status_code == 404
