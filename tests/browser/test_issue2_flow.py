"""Issue 2 in Chromium, as a branch secretary would do it, on a desktop and on a phone:
log in, find a member, edit a field, import a small Excel file with one bad row and see the
error reported (nothing imported), and look at the structure-analytics charts."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from openpyxl import Workbook

from dangjian.core.testing import PASSWORD, make_citizen_id
from dangjian.people.importing import COLUMNS
from dangjian.people.models import Person

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


def small_import_file(mine, bad_row_id: str) -> bytes:
    """Two data rows for branch A: row 2 valid, row 3 with a wrong ID check digit."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([c.header for c in COLUMNS])
    good_birth = dt.date(1992, 5, 17)
    rows = [
        {
            "工号": "B20001",
            "姓名": "赵导入",
            "性别": "男",
            "身份证号": make_citizen_id(good_birth, "M", 201),
            "出生日期": good_birth.isoformat(),
            "单位": mine.team_a1.name,
            "政治面貌": "群众",
            "一线职工": "是",
        },
        {
            "工号": "B20002",
            "姓名": "钱错误",
            "性别": "男",
            "身份证号": bad_row_id,
            "单位": mine.team_a1.name,
            "政治面貌": "群众",
            "一线职工": "是",
        },
    ]
    for row in rows:
        sheet.append([row.get(c.header, "") for c in COLUMNS])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def wrong_check_digit(citizen_id: str) -> str:
    last = citizen_id[-1]
    return citizen_id[:-1] + ("0" if last != "0" else "1")


@pytest.mark.parametrize("viewport", ["page", "phone_page"])
def test_branch_secretary_walks_through_issue_2(viewport, request, live_server, mine):
    page = request.getfixturevalue(viewport)
    login(page, live_server, "secretary_a", PASSWORD)
    page.shot("home")

    # find a member and edit a field
    page.goto(f"{live_server.url}/people/?q={mine.member_a.name}")
    rows = page.locator("[data-testid=person-row]")
    assert rows.count() == 1
    page.shot("found")
    page.click(f"text={mine.member_a.name}")
    page.wait_for_selector("[data-testid=person-edit]")
    page.click("[data-testid=person-edit]")
    page.fill("#id_post", "通风班长")
    page.shot("editing")
    page.click("[data-testid=person-save]")
    page.wait_for_selector("[data-testid=person-name]")
    assert "通风班长" in page.content()
    assert Person.objects.get(pk=mine.member_a.pk).post == "通风班长"

    # import a small file with one bad row: reported by row and column, nothing imported
    bad_id = wrong_check_digit(make_citizen_id(dt.date(1990, 1, 1), "M", 202))
    page.goto(f"{live_server.url}/people/import/")
    page.set_input_files(
        "#import-file",
        files=[
            {
                "name": "人员导入.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": small_import_file(mine, bad_id),
            }
        ],
    )
    page.click("[data-testid=import-submit]")
    page.wait_for_selector("[data-testid=import-errors]")
    error_rows = page.locator("[data-testid=import-error-row]")
    assert error_rows.count() == 1
    text = error_rows.first.inner_text()
    assert "第 3 行" in text and "身份证号" in text
    page.shot("import-error")
    assert not Person.objects.filter(employee_no__in=["B20001", "B20002"]).exists()

    # structure analytics: the charts render (ECharts draws into a canvas)
    page.goto(f"{live_server.url}/people/analytics/")
    for chart in ("chart-front-line", "chart-groups", "chart-ages", "chart-education"):
        page.wait_for_selector(f"[data-testid={chart}][data-rendered='1'] canvas")
    page.shot("analytics")
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport_width = page.viewport_size["width"]
    assert width <= viewport_width + 1, "the page must not scroll sideways"
