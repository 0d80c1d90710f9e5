"""The development section of the standard ledger (发展党员工作记录): branch A's cases with their
steps and dates in the generated .docx and .xlsx, nothing of branch B; a case closed in an
earlier year and steps after the year's end stay out; the app's section replaces the ledgers
app's placeholder; the query count does not grow with the number of cases."""

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
from dangjian.development import services
from dangjian.development.ledger import HEADERS, development_records
from dangjian.people.services import person_create

pytestmark = pytest.mark.django_db
COLLECTED_ON = timezone.localdate()
YEAR = COLLECTED_ON.year - 1  # a past year: the row shows the case as at 31 December


@pytest.fixture(autouse=True)
def _still_collection_day():
    with hold_date(COLLECTED_ON):  # YEAR is read once, at collection
        yield


def _d(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, day)


def _masses(mine: Any, seq: int, name: str, branch: str = "a") -> Any:
    unit, org = (mine.team_a1, mine.branch_a) if branch == "a" else (mine.team_b1, mine.branch_b)
    return person_create(
        actor=SYSTEM,
        data=person_data(
            None,
            seq=seq,
            name=name,
            unit=unit,
            party_org=org,
            political_status="masses",
            joined_party_on=None,
            regularised_on=None,
        ),
    )


def _case(person: Any, opened: dt.date, steps: dict[int, dt.date]) -> Any:
    case = services.case_open(actor=SYSTEM, person_id=person.pk, applied_on=opened)
    for number, day in steps.items():
        services.step_complete(actor=SYSTEM, case_id=case.pk, step=number, completed_on=day)
    return case


@pytest.fixture
def cases(mine: Any) -> dict[str, Any]:
    """A: 李群众 applied 20 Dec of the year before, talk and activist in the year; a case of
    A closed two years earlier; B: 钱二队申请人 applied in the year."""
    li = _case(mine.masses_a, _d(YEAR - 1, 12, 20), {2: _d(YEAR, 1, 15), 3: _d(YEAR, 3, 1)})
    old = _case(_masses(mine, 60, "孙已终止"), _d(YEAR - 2, 5, 4), {})
    services.case_withdraw(
        actor=SYSTEM, case_id=old.pk, decided_on=_d(YEAR - 2, 6, 1), reason="本人"
    )
    qian = _case(_masses(mine, 61, "钱二队申请人", "b"), _d(YEAR, 2, 1), {2: _d(YEAR, 2, 20)})
    return {"li": li, "old": old, "qian": qian}


STEPS_A = "；".join(
    [
        f"1.递交入党申请书 {YEAR - 1}-12-20",
        f"2.党组织派人谈话 {YEAR}-01-15",
        f"3.推荐和确定入党积极分子 {YEAR}-03-01",
    ]
)
ROW_A = ["李群众", "综采一队党支部", "入党积极分子的确定和培养教育", "进行中", STEPS_A, "2、3"]


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


def _section(table: list[list[str]]) -> list[list[str]]:
    start = next(i for i, row in enumerate(table) if row[: len(HEADERS)] == HEADERS)
    rows = []
    for row in table[start + 1 :]:
        if not row or not row[0].isdigit():
            break
        rows.append(row[: len(HEADERS)])
    return rows


def test_docx_holds_branch_a_steps_and_nothing_of_branch_b(
    mine, cases, django_capture_on_commit_callbacks
):
    from docx import Document

    document = Document(io.BytesIO(_generate(mine, "docx", django_capture_on_commit_callbacks)))
    assert "4. 发展党员工作记录" in [p.text for p in document.paragraphs]
    table = next(t for t in document.tables if t.rows[0].cells[-3].text == "已完成步骤及日期")
    rows = _section([[c.text for c in r.cells] for r in table.rows])
    assert [r[1:7] for r in rows] == [ROW_A]
    everything = "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert "钱二队申请人" not in everything and "孙已终止" not in everything


def test_xlsx_holds_branch_a_steps_and_nothing_of_branch_b(
    mine, cases, django_capture_on_commit_callbacks
):
    from openpyxl import load_workbook

    workbook = load_workbook(
        io.BytesIO(_generate(mine, "xlsx", django_capture_on_commit_callbacks)), read_only=True
    )
    sheet = next(ws for ws in workbook.worksheets if "发展党员工作记录" in ws.title)
    table = [
        ["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)
    ]
    rows = _section(table)
    assert [r[1:7] for r in rows] == [ROW_A]
    values = {
        str(v) for ws in workbook.worksheets for row in ws.iter_rows(values_only=True) for v in row
    }
    assert not any("钱二队申请人" in v or "孙已终止" in v for v in values)


def test_the_year_before_shows_the_case_as_it_stood(mine, cases):
    _, rows = development_records(mine.branch_a, YEAR - 1)
    assert [r[1:8] for r in rows] == [
        [
            "李群众",
            "综采一队党支部",
            "入党申请",
            "进行中",
            f"1.递交入党申请书 {YEAR - 1}-12-20",
            "1",
            "—",
        ]
    ]
    # two years before: only the case closed then, with its state
    _, rows = development_records(mine.branch_a, YEAR - 2)
    assert [(r[1], r[4], r[6]) for r in rows] == [("孙已终止", "已终止", "1")]


def test_this_year_shows_the_current_stage_and_next_step(mine, cases):
    _, rows = development_records(mine.branch_a, timezone.localdate().year)
    assert [(r[1], r[3], r[4], r[6]) for r in rows] == [
        ("李群众", "入党积极分子的确定和培养教育", "进行中", "无")
    ]
    assert rows[0][7].startswith("4.报上级党委备案")


def test_the_app_section_replaces_the_placeholder():
    found = [s for s in ledger_sections() if s.key == "development.records"]
    assert len(found) == 1
    assert found[0].func is development_records and not found[0].fallback


def test_query_count_does_not_grow_with_cases(mine):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            development_records(mine.branch_a, YEAR)
        return len(ctx.captured_queries)

    def add(seqs: range) -> None:
        for seq in seqs:
            _case(_masses(mine, seq, f"申请人{seq}"), _d(YEAR, 1, 5), {2: _d(YEAR, 1, 20)})

    add(range(80, 82))
    few = count()
    add(range(82, 90))
    assert count() == few
    assert len(development_records(mine.branch_a, YEAR)[1]) == 10
