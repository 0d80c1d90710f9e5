"""Person Excel import: validation by row/column, all-or-nothing, idempotency, scope, uploads."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from openpyxl import load_workbook

from dangjian.audit.models import AuditEvent
from dangjian.core.models import Job, Rule
from dangjian.core.scope import SYSTEM
from dangjian.people.importing import COLUMNS, person_import
from dangjian.people.models import Person, PersonChange
from dangjian.people.tests.import_helpers import (
    HEADERS,
    entity_bomb,
    plain_zip,
    row,
    upload,
    workbook_bytes,
    zip_bomb,
)

IMPORT_URL = "/people/import/"


def _post(client, content: bytes, name: str = "persons.xlsx"):
    return client.post(IMPORT_URL, {"file": upload(content, name)})


def _imported() -> int:
    return Person.objects.filter(employee_no__startswith="IMP").count()


def test_template_has_every_column_example_and_code_tables(mine):
    response = mine.client("secretary_a").get(reverse("people:import_template"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(
        io.BytesIO(
            b"".join(response.streaming_content if response.streaming else [response.content])
        )
    )
    sheet = workbook.worksheets[0]
    headers = [c.value for c in sheet[1]]
    for required in (
        "工号",
        "姓名",
        "身份证号",
        "单位",
        "一线职工",
        "所在党小组",
        "失联日期",
        "外出流向",
    ):
        assert required in headers
    assert headers == [c.header for c in COLUMNS]
    assert str(sheet.cell(row=2, column=1).value).startswith("#")  # example row, never imported
    assert "代码表与说明" in workbook.sheetnames
    codes = [r[3] for r in workbook["代码表与说明"].iter_rows(values_only=True)]
    assert any(c and "正式党员" in c for c in codes)
    places = [r[1] for r in workbook["组织与单位"].iter_rows(values_only=True)]
    assert any(p and p.endswith("综采一队一班") for p in places)
    assert not any(p and "掘进二队" in p for p in places)  # only the uploader's scope


def test_template_itself_imports_nothing_and_reports_no_errors(mine):
    client = mine.client("secretary_a")
    content = client.get(reverse("people:import_template")).content
    response = _post(client, content)
    assert response.status_code == 200
    assert Person.objects.count() == 3


def test_small_file_creates_then_second_run_is_all_unchanged(mine):
    client = mine.client("secretary_a")
    content = workbook_bytes([row(i) for i in range(1, 6)])
    response = _post(client, content)
    assert response.status_code == 200, response.content.decode()[:2000]
    assert "新增 5 人" in response.content.decode()
    assert _imported() == 5
    person = Person.objects.get(employee_no="IMP00003")
    assert person.citizen_id == row(3)["身份证号"]  # sealed through the descriptor
    assert person.party_group_id == mine.group_a1.pk and person.unit_id == mine.team_a1.pk
    assert (
        PersonChange.objects.filter(person__employee_no__startswith="IMP", source="import").count()
        == 5
    )
    changes_before = PersonChange.objects.count()
    events = AuditEvent.objects.filter(event_type="import", outcome="success")
    assert events.count() == 1 and events.get().changes["created"] == 5

    response = _post(client, content)
    assert response.status_code == 200
    assert "未变 5 人" in response.content.decode()
    assert _imported() == 5
    assert PersonChange.objects.count() == changes_before
    assert Person.objects.get(employee_no="IMP00003").version == 1


def test_changed_row_updates_with_history(mine):
    person_import(actor=SYSTEM, fh=io.BytesIO(workbook_bytes([row(1), row(2)])), filename="a")
    result = person_import(
        actor=mine.users["secretary_a"],
        fh=io.BytesIO(workbook_bytes([row(1, 岗位="综采队长"), row(2)])),
        filename="b",
    )
    assert result.ok and (result.created, result.updated, result.unchanged) == (0, 1, 1)
    person = Person.objects.get(employee_no="IMP00001")
    assert person.post == "综采队长" and person.version == 2
    change = PersonChange.objects.filter(person=person).first()
    assert change is not None
    assert change.source == "import" and change.changes == {"post": ["采煤工", "综采队长"]}
    assert change.actor_name == "secretary_a"


def test_bad_checksum_in_row_5_imports_nothing(mine):
    rows = [row(i) for i in range(1, 6)]
    good = rows[3]["身份证号"]
    rows[3]["身份证号"] = good[:17] + ("0" if good[17] != "0" else "1")  # sheet row 5
    response = _post(mine.client("secretary_a"), workbook_bytes(rows))
    assert response.status_code == 400
    body = response.content.decode()
    assert "第 5 行" in body and "身份证号" in body and "校验位" in body
    assert "未导入任何数据" in body
    assert _imported() == 0
    result = person_import(actor=SYSTEM, fh=io.BytesIO(workbook_bytes(rows)))
    assert [(e.row, e.column) for e in result.errors] == [(5, "身份证号")]


def test_all_errors_are_reported_by_row_and_column(mine):
    rows = [
        row(1, 性别="未知"),
        row(2, 出生日期="1900-13-45"),
        row(3, 手机号="12345"),
        row(4, 单位="不存在的班组"),
        row(5, 政治面貌="正式党员", 入党日期=""),
        row(6, 工号="IMP00001"),
        row(7, 失联="是", 失联日期=""),
    ]
    result = person_import(actor=mine.users["secretary_a"], fh=io.BytesIO(workbook_bytes(rows)))
    found = {(e.row, e.column) for e in result.errors}
    assert {
        (2, "性别"),
        (3, "出生日期"),
        (4, "手机号"),
        (5, "单位"),
        (6, "入党日期"),
        (7, "工号"),
        (8, "失联日期"),
    } <= found
    assert _imported() == 0
    assert AuditEvent.objects.filter(event_type="import", outcome="failure").count() == 1


def test_out_of_scope_unit_and_org_refused(mine):
    rows = [
        row(1, 单位="掘进二队一班", 所在党组织="", 所在党小组=""),
        row(2, 所在党组织="掘进二队党支部", 所在党小组=""),
    ]
    result = person_import(actor=mine.users["secretary_a"], fh=io.BytesIO(workbook_bytes(rows)))
    messages = {(e.row, e.column): e.message for e in result.errors}
    assert "不在您的管理范围内" in messages[(2, "单位")]
    assert "不在您的管理范围内" in messages[(3, "所在党组织")]
    assert _imported() == 0
    # the committee secretary may import into branch B
    assert person_import(actor=mine.users["shuji"], fh=io.BytesIO(workbook_bytes(rows[:1]))).ok
    assert Person.objects.get(employee_no="IMP00001").party_org_id == mine.branch_b.pk


def test_existing_employee_no_out_of_scope_and_foreign_id_refused(mine):
    rows = [
        row(1, 工号=mine.member_b.employee_no),  # branch B's person: not secretary A's to change
        row(2, 身份证号=mine.member_a.citizen_id, 出生日期="1985-03-12"),  # someone else's ID
    ]
    result = person_import(actor=mine.users["secretary_a"], fh=io.BytesIO(workbook_bytes(rows)))
    messages = {(e.row, e.column): e.message for e in result.errors}
    assert "不在您的管理范围内" in messages[(2, "工号")]
    assert "其他人员" in messages[(3, "身份证号")]
    mine.member_b.refresh_from_db()
    assert mine.member_b.version == 1


def test_missing_required_column_reported_on_row_1(mine):
    headers = [h for h in HEADERS if h != "身份证号"]
    result = person_import(actor=SYSTEM, fh=io.BytesIO(workbook_bytes([row(1)], headers)))
    assert (1, "身份证号") in {(e.row, e.column) for e in result.errors}


def test_no_permission_is_403(mine):
    for role in ("member_b", "employee_a", "union", "sysadmin"):
        client = mine.client(role)
        assert client.get(IMPORT_URL).status_code == 403, role
        assert _post(client, workbook_bytes([row(1)])).status_code == 403, role
    assert _imported() == 0


@pytest.mark.parametrize(
    ("name", "content_factory", "message"),
    [
        ("bomb.xlsx", zip_bomb, "压缩炸弹"),
        ("page.xlsx", lambda: b"<html><body>not excel</body></html>", "不是有效的 Excel"),
        ("archive.xlsx", plain_zip, "不是有效的 Excel"),
        ("entities.xlsx", entity_bomb, "XML 实体"),
        ("persons.csv", lambda: workbook_bytes([row(1)]), ".xlsx"),
    ],
)
def test_dangerous_uploads_rejected(mine, name, content_factory, message):
    response = _post(mine.client("secretary_a"), content_factory(), name)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body and "未导入任何数据" in body
    assert Person.objects.count() == 3
    assert AuditEvent.objects.filter(event_type="import", outcome="failure").exists()


def test_oversized_upload_rejected(mine, settings):
    settings.UPLOAD_MAX_BYTES = 4096
    response = _post(mine.client("secretary_a"), workbook_bytes([row(i) for i in range(1, 40)]))
    assert response.status_code == 400
    assert "文件超过大小上限" in response.content.decode()
    assert _imported() == 0


def test_row_limit(mine):
    Rule.objects.filter(key="security.import_max_rows").update(value=3)
    response = _post(mine.client("secretary_a"), workbook_bytes([row(i) for i in range(1, 6)]))
    assert response.status_code == 400
    assert "超过单次导入上限" in response.content.decode()
    assert _imported() == 0


def test_large_file_runs_as_background_job(mine, django_capture_on_commit_callbacks):
    Rule.objects.filter(key="security.import_background_rows").update(value=3)
    client = mine.client("secretary_a")
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, workbook_bytes([row(i) for i in range(1, 8)]), "big.xlsx")
    assert response.status_code == 302
    job = Job.objects.get(kind="import:people.persons")
    assert response["Location"] == reverse("people:import_job", args=[job.uid])
    assert job.status == Job.Status.SUCCEEDED and job.percent == 100 and job.phase == "完成"
    assert job.result["created"] == 7
    assert _imported() == 7
    assert not (Path(settings.PRIVATE_DIR) / job.input_file).exists()  # RIP-02
    page = client.get(response["Location"])
    assert page.status_code == 200 and "100%" in page.content.decode()
    poll = client.get(reverse("core:job_status", args=[job.uid]))
    assert "新增 7 人" in poll.content.decode()
    # another user cannot see the job
    assert mine.client("worker_a").get(response["Location"]).status_code == 404


def test_background_job_with_errors_reports_them(mine, django_capture_on_commit_callbacks):
    Rule.objects.filter(key="security.import_background_rows").update(value=2)
    rows = [row(1), row(2, 手机号="123")]
    with django_capture_on_commit_callbacks(execute=True):
        _post(mine.client("secretary_a"), workbook_bytes(rows))
    job = Job.objects.get(kind="import:people.persons")
    assert job.status == Job.Status.FAILED
    assert job.result["errors"] == [
        {"row": 3, "column": "手机号", "message": job.result["errors"][0]["message"]}
    ]
    assert _imported() == 0


def test_progress_phases_reported(mine):
    phases: list[tuple[str, int, int]] = []
    person_import(
        actor=SYSTEM,
        fh=io.BytesIO(workbook_bytes([row(i) for i in range(1, 6)])),
        progress=lambda phase, done, total: phases.append((phase, done, total)),
        batch_size=2,
    )
    names = [p[0] for p in phases]
    assert names[0] == "校验中" and names[-1] == "完成"
    assert ("写入中", 2, 5) in phases and ("写入中", 5, 5) in phases
