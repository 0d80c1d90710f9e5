"""Standard ledger in Chromium: a branch secretary with an archived branch general meeting opens
branch A's ledger of this year, generates it as Word and as PDF (the background job's progress
bar runs to 100 %), downloads both files and finds the meeting in them (and not branch B's)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.core.testing import PASSWORD
from dangjian.orglife.tests.helpers import hold
from tests.browser.conftest import browser_instance, login, page  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE_A = "学习全会精神支部党员大会"
TITLE_B = "掘进二队专题组织生活会"


def _docx_text(path: Path) -> str:
    from docx import Document

    document = Document(str(path))
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    # a long cell wraps inside the table: compare without the line breaks
    text = "".join(p.extract_text() for p in PdfReader(str(path)).pages)
    return re.sub(r"\s+", "", text)


def _generate_and_download(page, fmt: str) -> Path:  # noqa: F811
    """Click the format's button on the ledger page, wait for the job, download the file."""
    page.click(f"[data-testid=ledger-{fmt}]")
    expect(page.locator("h1")).to_have_text("台帐生成进度")
    bar = page.locator(".job-progress [role=progressbar]")
    expect(bar).to_have_attribute("aria-valuenow", "100", timeout=30_000)
    expect(page.locator(".job-progress .progress-bar")).to_have_class(re.compile("bg-success"))
    page.shot(f"job-{fmt}-done")
    with page.expect_download() as info:
        page.click("[data-testid=job-download]")
    download = info.value
    assert download.suggested_filename.endswith(f".{fmt}")
    assert "综采一队党支部" in download.suggested_filename
    return Path(download.path())


def test_secretary_downloads_the_ledger_with_the_meeting(page, live_server, mine):  # noqa: F811
    today = timezone.localdate()
    hold(mine, "branch_general", today, title=TITLE_A, archive=True)
    hold(mine, "branch_general", today, org=mine.branch_b, title=TITLE_B, archive=True)

    login(page, live_server, "secretary_a", PASSWORD)
    page.goto(f"{live_server.url}/ledgers/")
    page.select_option("#l-branch", str(mine.branch_a.pk))
    page.select_option("#l-year", str(today.year))
    page.shot("choose")
    page.click("[data-testid=ledger-open]")
    expect(page.locator("[data-testid=ledger-title]")).to_have_text(
        f"综采一队党支部 {today.year} 年度标准化台帐"
    )
    meetings = page.locator("[data-testid='ledger-section-orglife.meetings']")
    expect(meetings).to_contain_text(TITLE_A)
    expect(meetings).not_to_contain_text(TITLE_B)
    expect(page.locator("[data-testid='ledger-section-dues.ledger']")).to_contain_text("张支部党员")
    page.shot("ledger")
    ledger_url = page.url

    docx = _generate_and_download(page, "docx")
    text = _docx_text(docx)
    assert TITLE_A in text and "综采一队党支部" in text
    assert TITLE_B not in text

    page.goto(ledger_url)
    pdf = _generate_and_download(page, "pdf")
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = _pdf_text(pdf)
    assert TITLE_A in text and "组织生活会议记录" in text
    assert TITLE_B not in text
