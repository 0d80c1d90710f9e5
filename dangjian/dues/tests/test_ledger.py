"""The dues section of the standard ledger (党费收缴台帐): branch A's figures in the generated
.docx and .xlsx (monthly amount, months paid, paid-up month, arrears, totals), nothing of
branch B; the app's section replaces the ledgers app's placeholder; the query count does not
grow with the number of members."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dangjian.core.models import Job
from dangjian.core.registries import ledger_sections
from dangjian.core.scope import SYSTEM
from dangjian.core.testing import hold_date, person_data
from dangjian.dues import services
from dangjian.dues.ledger import HEADERS, dues_ledger, months_text
from dangjian.dues.models import month_index
from dangjian.dues.tests.helpers import assess
from dangjian.people.services import person_create

pytestmark = pytest.mark.django_db
# a past year: every month has ended, so the arrears do not depend on today's date
COLLECTED_ON = timezone.localdate()
YEAR = COLLECTED_ON.year - 1


@pytest.fixture(autouse=True)
def _still_collection_day():
    with hold_date(COLLECTED_ON):  # YEAR is read once, at collection
        yield


def _pay(person: Any, months: list[int], paid_on: dt.date) -> None:
    services.payment_record(
        actor=SYSTEM,
        person_id=person.pk,
        months=[month_index(YEAR, m) for m in months],
        paid_on=paid_on,
        kind="makeup",
    )


def _member(mine: Any, seq: int, name: str, **extra: Any) -> Any:
    return person_create(actor=SYSTEM, data=person_data(mine, seq=seq, name=name, **extra))


@pytest.fixture
def dues_year(mine: Any) -> dict[str, Any]:
    """Branch A: 张 (4000 → 40.00/month, paid Jan-Mar, 3 months in arrears) and 赵 (12000 →
    240.00/month, all paid); branch B: 王 (6000 → 90.00/month, paid Jan-Feb)."""
    zhao = _member(mine, 20, "赵全交党员")
    assess(mine.member_a, YEAR, 4000)
    assess(zhao, YEAR, 12000)
    assess(mine.member_b, YEAR, 6000)
    for month in range(1, 7):
        services.bills_generate(actor=SYSTEM, year=YEAR, month=month)
    _pay(mine.member_a, [1, 2, 3], dt.date(YEAR, 3, 20))
    _pay(zhao, [1, 2, 3, 4, 5, 6], dt.date(YEAR, 6, 15))
    _pay(mine.member_b, [1, 2], dt.date(YEAR, 2, 20))
    return {"zhao": zhao}


ROW_A = ["张支部党员", "在岗职工", "40.00", "6", "240.00", "1-3月", "120.00", f"{YEAR}年3月"]
ROW_ZHAO = ["赵全交党员", "在岗职工", "240.00", "6", "1440.00", "1-6月", "1440.00", f"{YEAR}年6月"]
TOTAL = ["合计", "2人", "280.00", "12", "1680.00", "共9个月", "1560.00", "3（1人）", "120.00"]
BRANCH_B = ("王二支部党员", "90.00", "360.00", "540.00")


def _generate(mine: Any, fmt: str, capture: Any) -> bytes:
    client = mine.client("secretary_a")
    with capture(execute=True):
        response = client.post(
            reverse("ledgers:generate", args=[mine.branch_a.pk, YEAR]), {"fmt": fmt}
        )
    assert response.status_code == 302
    job = Job.objects.get(kind=f"ledger:{fmt}")
    assert job.status == Job.Status.SUCCEEDED, job.message
    download = client.get(reverse("core:job_download", args=[job.uid]))
    assert download.status_code == 200
    return b"".join(download.streaming_content)


def _dues_rows(table_rows: list[list[str]]) -> list[list[str]]:
    """The rows of the dues table (the one whose header has 党费交至), header excluded."""
    start = next(i for i, row in enumerate(table_rows) if row[: len(HEADERS)] == HEADERS)
    rows = []
    for row in table_rows[start + 1 :]:
        if not row or not row[0] or row[0] in ("序号",):
            break
        rows.append(row)
        if row[0] == "合计":
            break
    return rows


def _check(rows: list[list[str]]) -> None:
    by_name = {row[1]: row for row in rows}
    assert set(by_name) == {"张支部党员", "赵全交党员", "2人"}
    a = by_name["张支部党员"]
    assert [a[1], *a[3:10]] == ROW_A
    assert (a[10], a[11]) == ("3", "120.00")
    z = by_name["赵全交党员"]
    assert [z[1], *z[3:10]] == ROW_ZHAO
    assert (z[10], z[11]) == ("0", "0.00")
    total = rows[-1]
    assert [total[0], total[1], *total[4:9], *total[10:12]] == TOTAL


def test_docx_holds_branch_a_dues_and_nothing_of_branch_b(
    mine, dues_year, django_capture_on_commit_callbacks
):
    from docx import Document

    document = Document(io.BytesIO(_generate(mine, "docx", django_capture_on_commit_callbacks)))
    headings = [p.text for p in document.paragraphs]
    assert "3. 党费收缴台帐" in headings
    table = next(
        t
        for t in document.tables
        if t.rows[0].cells[0].text == "序号" and any(c.text == "党费交至" for c in t.rows[0].cells)
    )
    _check(_dues_rows([[c.text for c in r.cells] for r in table.rows]))
    everything = "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    for text in BRANCH_B:
        assert text not in everything


def test_xlsx_holds_branch_a_dues_and_nothing_of_branch_b(
    mine, dues_year, django_capture_on_commit_callbacks
):
    from openpyxl import load_workbook

    workbook = load_workbook(
        io.BytesIO(_generate(mine, "xlsx", django_capture_on_commit_callbacks)), read_only=True
    )
    sheet = next(ws for ws in workbook.worksheets if "党费收缴台帐" in ws.title)
    table = [
        ["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)
    ]
    assert table[0] == ["党费收缴台帐"] + [""] * (len(table[0]) - 1)
    _check(_dues_rows(table))
    everything = {
        str(v) for ws in workbook.worksheets for row in ws.iter_rows(values_only=True) for v in row
    }
    for text in BRANCH_B:
        assert text not in everything


def test_the_app_section_replaces_the_placeholder():
    found = [s for s in ledger_sections() if s.key == "dues.ledger"]
    assert len(found) == 1
    assert found[0].func is dues_ledger and not found[0].fallback


def test_this_year_lists_members_not_assessed_yet(mine):
    headers, rows = dues_ledger(mine.branch_a, timezone.localdate().year)
    assert headers == HEADERS
    assert [(r[1], r[3], r[4]) for r in rows[:-1]] == [("张支部党员", "未核定", "未核定")]
    assert rows[-1][:2] == ["合计", "1人"]
    # a past year without records has no rows at all
    assert dues_ledger(mine.branch_a, YEAR - 5) == (HEADERS, [])


def test_paid_up_month_stops_at_the_end_of_the_year(mine):
    assess(mine.member_a, YEAR, 4000)
    assess(mine.member_a, YEAR + 1, 4000)
    for month in range(1, 13):
        services.bills_generate(actor=SYSTEM, year=YEAR, month=month)
    services.bills_generate(actor=SYSTEM, year=YEAR + 1, month=1)
    _pay(mine.member_a, [1, 2, 3, 4, 5, 6], dt.date(YEAR, 6, 15))
    _pay(mine.member_a, [7, 8, 9, 10, 11], dt.date(YEAR, 12, 15))
    services.payment_record(
        actor=SYSTEM,
        person_id=mine.member_a.pk,
        months=[month_index(YEAR, 12), month_index(YEAR + 1, 1)],
        paid_on=dt.date(YEAR + 1, 1, 10),
        kind="makeup",
    )
    _, rows = dues_ledger(mine.branch_a, YEAR)
    row = rows[0]
    # paid up to December of the ledger's year, not to the January paid after it
    assert (row[7], row[9]) == ("1-12月", f"{YEAR}年12月")
    assert (row[10], row[11]) == (0, "0.00")


def test_query_count_does_not_grow_with_members(mine):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            dues_ledger(mine.branch_a, YEAR)
        return len(ctx.captured_queries)

    def add(seqs: range) -> None:
        for seq in seqs:
            person = _member(mine, seq, f"党员{seq}", party_group=mine.group_a1)
            assess(person, YEAR, 3000 + seq)
        services.bills_generate(actor=SYSTEM, year=YEAR, month=1, org=mine.branch_a)

    add(range(30, 32))
    few = count()
    add(range(40, 52))
    services.bills_generate(actor=SYSTEM, year=YEAR, month=2, org=mine.branch_a)
    assert count() == few
    assert len(dues_ledger(mine.branch_a, YEAR)[1]) == 14 + 1


def test_months_text():
    assert months_text([]) == "无"
    assert months_text([3, 1, 2, 5, 7, 8]) == "1-3、5、7-8月"
    assert months_text([12]) == "12月"
