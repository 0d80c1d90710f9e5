"""Standard ledgers: the files (docx, PDF, xlsx) contain the branch and its members, scope
(another branch's ledger is a 404 everywhere), background progress to 100 %, owner-only
download, TTL purge, the section registry and the permission matrix of the pages."""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from dangjian.appraisal import services as appraisal_services
from dangjian.core.models import Job
from dangjian.core.registries import ledger_sections, register_ledger_section
from dangjian.core.testing import hold_date
from dangjian.ledgers.models import Ledger
from dangjian.ledgers.services import ledger_dir, ledger_purge

pytestmark = pytest.mark.django_db
COLLECTED_ON = timezone.localdate()
YEAR = COLLECTED_ON.year


@pytest.fixture(autouse=True)
def _still_collection_day():
    with hold_date(COLLECTED_ON):  # YEAR is read once, at collection
        yield


def _generate(mine, fmt: str, capture, role: str = "secretary_a"):
    client = mine.client(role)
    url = reverse("ledgers:generate", args=[mine.branch_a.pk, YEAR])
    with capture(execute=True):
        response = client.post(url, {"fmt": fmt})
    assert response.status_code == 302
    job = Job.objects.get(owner=mine.users[role], kind=f"ledger:{fmt}")
    assert response["Location"] == reverse("ledgers:job", args=[job.uid])
    return client, job


def _download(client, job) -> bytes:
    response = client.get(reverse("core:job_download", args=[job.uid]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_docx_contains_branch_and_member(mine, django_capture_on_commit_callbacks):
    from docx import Document

    client, job = _generate(mine, "docx", django_capture_on_commit_callbacks)
    document = Document(io.BytesIO(_download(client, job)))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert "综采一队党支部" in text
    assert "张支部党员" in cells
    assert "王二支部党员" not in cells  # branch B's member is not in branch A's ledger
    assert "党员名册" in text and "民主评议党员结果" in text


def test_pdf_has_chinese_text_and_the_cid_font(mine, django_capture_on_commit_callbacks):
    from pypdf import PdfReader

    client, job = _generate(mine, "pdf", django_capture_on_commit_callbacks)
    content = _download(client, job)
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "综采一队党支部" in text
    assert "张支部党员" in text
    fonts: Any = reader.pages[0]["/Resources"]["/Font"]  # type: ignore[index]
    names = {str(fonts[key].get_object()["/BaseFont"]) for key in fonts}
    assert any("STSong-Light" in name for name in names)


def test_xlsx_contains_branch_and_member(mine, django_capture_on_commit_callbacks):
    from openpyxl import load_workbook

    client, job = _generate(mine, "xlsx", django_capture_on_commit_callbacks)
    workbook = load_workbook(io.BytesIO(_download(client, job)), read_only=True)
    values = {
        str(v)
        for ws in workbook.worksheets
        for row in ws.iter_rows(values_only=True)
        for v in row
        if v
    }
    assert any("综采一队党支部" in v for v in values)
    assert "张支部党员" in values


def test_job_progress_reaches_100_and_the_page_polls(mine, django_capture_on_commit_callbacks):
    client, job = _generate(mine, "xlsx", django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.percent == 100 and job.done == job.total == len(ledger_sections()) + 1
    page = client.get(reverse("ledgers:job", args=[job.uid]))
    assert page.status_code == 200 and "100%" in page.content.decode()
    status = client.get(reverse("core:job_status", args=[job.uid]), HTTP_ACCEPT="application/json")
    assert status.json()["percent"] == 100
    assert Ledger.objects.get(job=job).branch == mine.branch_a


def test_file_served_only_to_its_owner(mine, django_capture_on_commit_callbacks):
    _, job = _generate(mine, "docx", django_capture_on_commit_callbacks)
    for role in ("worker_a", "shuji"):
        other = mine.client(role)
        assert other.get(reverse("core:job_download", args=[job.uid])).status_code == 404
        assert other.get(reverse("ledgers:job", args=[job.uid])).status_code == 404


def test_secretary_cannot_generate_or_view_another_branch(mine, django_capture_on_commit_callbacks):
    client = mine.client("secretary_a")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("ledgers:generate", args=[mine.branch_b.pk, YEAR]), {"fmt": "pdf"}
        )
    assert response.status_code == 404
    assert not Job.objects.exists() and not Ledger.objects.exists()
    assert client.get(reverse("ledgers:view", args=[mine.branch_b.pk, YEAR])).status_code == 404
    api = client.get(f"/api/v1/ledgers/{mine.branch_b.pk}/{YEAR}")
    assert api.status_code == 404
    # the branch select offers only the own branch
    page = client.get(reverse("ledgers:index")).content.decode()
    assert "综采一队党支部" in page and "掘进二队党支部" not in page


def test_printable_view_and_api_show_the_sections(mine):
    rnd = appraisal_services.round_create(
        actor=mine.users["secretary_a"], branch_id=mine.branch_a.pk, year=YEAR
    )
    assert rnd.entries.count() == 1
    client = mine.client("secretary_a")
    page = client.get(reverse("ledgers:view", args=[mine.branch_a.pk, YEAR])).content.decode()
    assert "张支部党员" in page and "民主评议党员结果" in page and "暂无记录" in page
    assert "李群众" not in page  # the roster lists members only
    api = client.get(f"/api/v1/ledgers/{mine.branch_a.pk}/{YEAR}").json()
    keys = [s["key"] for s in api["sections"]]
    assert keys[0] == "people.roster" and "appraisal.results" in keys
    roster = api["sections"][0]
    assert roster["rows"][0][1] == "张支部党员"
    assert "身份证号" not in roster["headers"]  # no sensitive identifiers in a ledger


def test_invalid_format_or_future_year_is_refused(mine):
    client = mine.client("secretary_a")
    url = reverse("ledgers:generate", args=[mine.branch_a.pk, YEAR])
    assert client.post(url, {"fmt": "exe"}).status_code == 404
    future = reverse("ledgers:view", args=[mine.branch_a.pk, YEAR + 1])
    assert client.get(future).status_code == 404
    assert not Job.objects.exists()


def test_purge_deletes_files_past_the_ttl(settings):
    old = ledger_dir() / "old.pdf"
    new = ledger_dir() / "new.pdf"
    old.write_bytes(b"%PDF-old")
    new.write_bytes(b"%PDF-new")
    past = (timezone.now() - dt.timedelta(hours=25)).timestamp()
    os.utime(old, (past, past))
    assert ledger_purge() >= 1
    assert not old.exists() and new.exists()
    new.unlink()
    assert Path(settings.PRIVATE_DIR) in ledger_dir().parents


def test_fallback_section_never_replaces_a_real_one():
    def real(branch, year):
        return ["a"], [[1]]

    def placeholder(branch, year):
        return [], []

    try:
        register_ledger_section(99, "test.section", "测试", real)
        register_ledger_section(99, "test.section", "测试", placeholder, fallback=True)
        found = [s for s in ledger_sections() if s.key == "test.section"]
        assert found[0].func is real
    finally:
        from dangjian.core import registries

        registries._ledger_sections.pop("test.section", None)


# url -> persona -> expected status (object in scope = branch A; out of scope = branch B)
PERSONAS = {
    "shuji": (200, 200),
    "zuzhi": (200, 200),
    "union": (200, 200),
    "secretary_a": (200, 404),
    "worker_a": (200, 404),
    "member_b": (403, 403),
    "employee_a": (403, 403),
    "sysadmin": (403, 403),
    "secadmin": (403, 403),
    "auditor": (403, 403),
}
EXPORTERS = {"shuji", "zuzhi", "secretary_a", "worker_a"}


@pytest.mark.parametrize("role", list(PERSONAS))
def test_permission_matrix(mine, role, django_capture_on_commit_callbacks):
    client = mine.client(role)
    index = client.get(reverse("ledgers:index")).status_code
    assert index == (200 if PERSONAS[role][0] == 200 else 403)
    inside, outside = PERSONAS[role]
    assert client.get(reverse("ledgers:view", args=[mine.branch_a.pk, YEAR])).status_code == inside
    assert client.get(reverse("ledgers:view", args=[mine.branch_b.pk, YEAR])).status_code == outside
    with django_capture_on_commit_callbacks(execute=True):
        mine_post = client.post(
            reverse("ledgers:generate", args=[mine.branch_a.pk, YEAR]), {"fmt": "xlsx"}
        ).status_code
        other_post = client.post(
            reverse("ledgers:generate", args=[mine.branch_b.pk, YEAR]), {"fmt": "xlsx"}
        ).status_code
    if role in EXPORTERS:
        assert mine_post == 302
        assert other_post == (302 if role in {"shuji", "zuzhi"} else 404)
    else:
        assert (mine_post, other_post) == (403, 403)
    nav_visible = any(
        item.url_name == "ledgers:index"
        for _, items in __import__("dangjian.core.registries", fromlist=["nav_for"]).nav_for(
            mine.users[role]
        )
        for item in items
    )
    assert nav_visible == (PERSONAS[role][0] == 200)
    assert settings.PRIVATE_DIR


def test_api_generates_and_lists_files(mine, django_capture_on_commit_callbacks):
    client = mine.client("secretary_a")
    url = f"/api/v1/ledgers/{mine.branch_a.pk}/{YEAR}/files"
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(url, {"fmt": "pdf"}, content_type="application/json")
    assert started.status_code == 202
    listed = client.get(url).json()
    assert [f["fmt"] for f in listed] == ["pdf"] and listed[0]["percent"] == 100
    other = f"/api/v1/ledgers/{mine.branch_b.pk}/{YEAR}/files"
    assert client.get(other).status_code == 404
    assert client.post(other, {"fmt": "pdf"}, content_type="application/json").status_code == 404
