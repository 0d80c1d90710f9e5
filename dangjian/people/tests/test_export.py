"""Person Excel export: scope, filters, masking, formula neutralisation, audit, TTL purge."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from dangjian.audit.models import AuditEvent
from dangjian.core.excel import FORMULA_PREFIXES, write_xlsx
from dangjian.core.exports import export_dir
from dangjian.core.models import Job
from dangjian.people.exporting import EXPORT_HEADERS
from dangjian.people.models import Person


def _export(mine, role: str, query: str, capture) -> tuple[Job, list[tuple]]:
    job, content = _export_file(mine, role, query, capture)
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return job, list(sheet.iter_rows(values_only=True))


def _export_file(mine, role: str, query: str, capture) -> tuple[Job, bytes]:
    client = mine.client(role)
    url = reverse("people:export") + (f"?{query}" if query else "")
    page = client.get(url)
    assert page.status_code == 200
    data = dict(page.context["params"])
    with capture(execute=True):
        response = client.post(reverse("people:export"), data)
    assert response.status_code == 302
    job = Job.objects.filter(owner=mine.users[role]).latest("created_at")
    assert response["Location"] == reverse("people:export_job", args=[job.uid])
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert client.get(response["Location"]).status_code == 200
    download = client.get(reverse("core:job_download", args=[job.uid]))
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    return job, b"".join(download.streaming_content)


def test_branch_secretary_exports_only_branch_a_masked(mine, django_capture_on_commit_callbacks):
    job, rows = _export(mine, "secretary_a", "", django_capture_on_commit_callbacks)
    assert list(rows[0]) == EXPORT_HEADERS
    numbers = sorted(r[0] for r in rows[1:])
    assert numbers == sorted([mine.member_a.employee_no, mine.masses_a.employee_no])
    id_col, phone_col = EXPORT_HEADERS.index("身份证号"), EXPORT_HEADERS.index("手机号")
    for r in rows[1:]:
        person = Person.objects.get(employee_no=r[0])
        assert r[id_col] != person.citizen_id and "*" in r[id_col]
        assert r[id_col][:4] == person.citizen_id[:4] and r[id_col][-4:] == person.citizen_id[-4:]
        assert r[phone_col] == person.phone[:3] + "****" + person.phone[-4:]
    event = AuditEvent.objects.get(event_type="export", object_id="people.persons")
    assert event.changes["rows"] == 2 and event.changes["columns"] == EXPORT_HEADERS
    assert event.actor_name == "secretary_a"
    # the file is the owner's only
    assert (
        mine.client("worker_a").get(reverse("core:job_download", args=[job.uid])).status_code == 404
    )


def test_exported_file_carries_the_exporters_watermark(mine, django_capture_on_commit_callbacks):
    _, content = _export_file(mine, "secretary_a", "", django_capture_on_commit_callbacks)
    book = load_workbook(io.BytesIO(content))
    header = book.worksheets[0].oddHeader.center.text
    assert "secretary_a" in header and "导出于" in header and "严禁外传" in header
    assert "secretary_a" in book.properties.creator
    assert "secretary_a" in book.worksheets[0].oddFooter.left.text


def test_export_uses_list_filters(mine, django_capture_on_commit_callbacks):
    _, rows = _export(
        mine, "shuji", "political_status=party_member", django_capture_on_commit_callbacks
    )
    assert sorted(r[0] for r in rows[1:]) == sorted(
        [mine.member_a.employee_no, mine.member_b.employee_no]
    )
    _, rows = _export(
        mine, "shuji", f"party_org={mine.branch_b.pk}", django_capture_on_commit_callbacks
    )
    assert [r[0] for r in rows[1:]] == [mine.member_b.employee_no]


def test_formula_like_values_are_neutralised(mine, django_capture_on_commit_callbacks):
    Person.objects.filter(pk=mine.member_a.pk).update(
        name='=HYPERLINK("http://x")', post="+1-2", mobile_destination="@SUM(A1)"
    )
    Person.objects.filter(pk=mine.masses_a.pk).update(name="-3", post="\tcmd", ethnicity="\rx")
    _, rows = _export(mine, "secretary_a", "", django_capture_on_commit_callbacks)
    cells = [c for r in rows[1:] for c in r if isinstance(c, str)]
    assert '\'=HYPERLINK("http://x")' in cells and "'+1-2" in cells and "'@SUM(A1)" in cells
    assert all(not c.startswith(FORMULA_PREFIXES) for c in cells)


def test_export_forbidden_without_permission(mine):
    for role in ("member_b", "employee_a", "sysadmin", "auditor"):
        client = mine.client(role)
        assert client.get(reverse("people:export")).status_code == 403, role
        assert client.post(reverse("people:export")).status_code == 403, role
    assert not Job.objects.exists()


_risky = st.one_of(
    st.text(max_size=12),
    st.tuples(st.sampled_from(FORMULA_PREFIXES), st.text(max_size=10)).map("".join),
)


@hypothesis_settings(max_examples=60, deadline=None)
@given(st.lists(_risky, min_size=1, max_size=8))
def test_no_written_cell_starts_with_a_formula_prefix(values):
    path = Path(settings.PRIVATE_DIR) / f"hyp-{os.getpid()}.xlsx"
    try:
        write_xlsx(path, ["a"] * len(values), [values, [f"={v}" for v in values]])
        sheet = load_workbook(path).worksheets[0]
        for row in sheet.iter_rows(min_row=2, values_only=True):
            for cell in row:
                assert not (isinstance(cell, str) and cell.startswith(FORMULA_PREFIXES))
    finally:
        path.unlink(missing_ok=True)


def test_purge_exports_deletes_files_past_ttl(db):
    old = export_dir() / "old-export.xlsx"
    fresh = export_dir() / "fresh-export.xlsx"
    stale_import = Path(settings.PRIVATE_DIR) / "imports" / "stale.xlsx"
    stale_import.parent.mkdir(parents=True, exist_ok=True)
    for path in (old, fresh, stale_import):
        path.write_bytes(b"x")
    past = time.time() - 25 * 3600
    os.utime(old, (past, past))
    os.utime(stale_import, (past, past))
    out = io.StringIO()
    call_command("purge_exports", stdout=out)
    assert not old.exists() and not stale_import.exists()
    assert fresh.exists()
    fresh.unlink()
    assert "已删除导出文件 1 个" in out.getvalue()


def test_the_file_downloads_once_then_is_gone(mine, django_capture_on_commit_callbacks):
    """PI-05: one-time download; the file is deleted as it is handed over, and audited."""
    job, _ = _export_file(mine, "secretary_a", "", django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.output_file == "" and job.result["downloaded_at"]
    assert not list((Path(settings.PRIVATE_DIR) / "exports").glob(f"*{job.uid.hex[:6]}*"))
    event = AuditEvent.objects.get(event_type="job_download")
    assert event.object_id == str(job.uid) and event.actor_name == "secretary_a"
    client = mine.client("secretary_a")
    again = client.get(reverse("core:job_download", args=[job.uid]))
    assert again.status_code == 410 and "只能下载一次" in again.content.decode()
    page = client.get(reverse("people:export_job", args=[job.uid]))
    assert "已下载并删除" in page.content.decode()
    assert 'data-testid="job-download"' not in page.content.decode()
    # another user still learns nothing about it
    assert (
        mine.client("worker_a").get(reverse("core:job_download", args=[job.uid])).status_code == 404
    )
