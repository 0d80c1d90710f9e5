"""Pages: permission matrix (roles × in/out of scope), workflow through the views, uploads,
file serving, QR sign-in pages, compliance board, flat query counts."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from dangjian.core.scope import SYSTEM
from dangjian.core.testing import ROLES
from dangjian.orglife import services
from dangjian.orglife.models import Meeting, MeetingFile
from dangjian.orglife.tests.helpers import hold, schedule, types

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 5, 20)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture
def meetings(mine):
    types()
    a = hold(mine, "theme_day", DAY, title="A支部主题党日")
    b = hold(mine, "theme_day", DAY, org=mine.branch_b, title="B支部主题党日")
    return a, b


# role → (list, detail A, detail B)
EXPECTED = {
    "shuji": (200, 200, 200),
    "zuzhi": (200, 200, 200),
    "union": (200, 200, 200),
    "secretary_a": (200, 200, 404),
    "worker_a": (200, 200, 404),
    "member_b": (200, 404, 200),  # only meetings they were invited to
    "employee_a": (403, 403, 403),
    "sysadmin": (403, 403, 403),
    "secadmin": (403, 403, 403),
    "auditor": (403, 403, 403),
}


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_of_the_read_pages(mine, meetings, role):
    a, b = meetings
    client = mine.client(role)
    expected = EXPECTED[role]
    assert client.get(reverse("orglife:list")).status_code == expected[0]
    assert client.get(reverse("orglife:detail", args=[a.pk])).status_code == expected[1]
    assert client.get(reverse("orglife:detail", args=[b.pk])).status_code == expected[2]
    board = client.get(reverse("orglife:compliance")).status_code
    assert board == (200 if role in ("shuji", "zuzhi", "union", "secretary_a", "worker_a") else 403)


WRITE_EXPECTED = {
    "shuji": (200, 200),
    "zuzhi": (200, 200),
    "union": (403, 403),
    "secretary_a": (200, 404),
    "worker_a": (200, 404),
    "member_b": (403, 403),
    "employee_a": (403, 403),
    "sysadmin": (403, 403),
    "secadmin": (403, 403),
    "auditor": (403, 403),
}


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_of_the_write_pages(mine, role):
    types()
    a = schedule(mine, "theme_day", DAY)
    b = schedule(mine, "theme_day", DAY, org=mine.branch_b)
    client = mine.client(role)
    in_scope, out_of_scope = WRITE_EXPECTED[role]
    assert client.get(reverse("orglife:notify", args=[a.pk])).status_code == in_scope
    assert client.get(reverse("orglife:notify", args=[b.pk])).status_code == out_of_scope
    archive = client.post(reverse("orglife:transition", args=[b.pk, "archive"])).status_code
    assert archive == (302 if out_of_scope == 200 else out_of_scope)  # 302: refused, message
    create = client.get(reverse("orglife:create")).status_code
    assert create == (200 if in_scope == 200 else 403)


def test_secretary_runs_the_workflow_through_the_pages(mine):
    types()
    client = mine.client("secretary_a")
    response = client.post(
        reverse("orglife:create"),
        {
            "org": mine.branch_a.pk,
            "meeting_type": types()["theme_day"].pk,
            "title": "五月主题党日",
            "planned_at": "2026-05-20T15:00",
            "location": "活动室",
        },
    )
    assert response.status_code == 302
    meeting = Meeting.objects.get(title="五月主题党日")
    assert (
        client.post(
            reverse("orglife:notify", args=[meeting.pk]), {"invitees": [mine.member_a.pk]}
        ).status_code
        == 302
    )
    client.post(reverse("orglife:transition", args=[meeting.pk, "open-signin"]))
    page = client.get(reverse("orglife:signin_screen", args=[meeting.pk]))
    assert page.status_code == 200 and "/orglife/signin/" in page.content.decode()
    qr = client.get(reverse("orglife:qr", args=[meeting.pk]))
    assert qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content
    client.post(
        reverse("orglife:attendance", args=[meeting.pk]),
        {"person": mine.member_a.pk, "status": "present"},
    )
    response = client.post(
        reverse("orglife:minutes", args=[meeting.pk]), {"topic": "安全", "content": "学习"}
    )
    assert response.status_code == 302
    client.post(reverse("orglife:transition", args=[meeting.pk, "archive"]))
    meeting.refresh_from_db()
    assert meeting.state == "archived" and meeting.present_count == 1
    # wrong transition: a clear message, no change
    response = client.post(reverse("orglife:transition", args=[meeting.pk, "archive"]), follow=True)
    assert "不能转为" in response.content.decode()


def _signin_meeting(mine):
    types()
    meeting = schedule(mine, "theme_day", DAY, org=mine.branch_b)
    meeting = services.meeting_notify(actor=SYSTEM, meeting=meeting)
    return services.meeting_open_signin(actor=SYSTEM, meeting=meeting)


def test_member_checks_in_through_the_qr_page(mine):
    meeting = _signin_meeting(mine)
    url = reverse("orglife:signin", args=[services.signin_token(meeting)])
    anonymous = mine.client("member_b").__class__().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    client = mine.client("member_b")
    assert "确认签到" in client.get(url).content.decode()
    assert "签到成功" in client.post(url).content.decode()
    assert "无需重复签到" in client.post(url).content.decode()
    assert mine.client("secretary_a").post(url).status_code == 403  # not invited
    assert client.get(reverse("orglife:signin", args=["forged-token"])).status_code == 404


def _upload(client, meeting, name, data, kind="photo"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("orglife:upload", args=[meeting.pk]),
        {"kind": kind, "file": SimpleUploadedFile(name, data)},
        follow=True,
    )


def test_uploads_are_type_and_size_checked_and_served_privately(mine, settings):
    meeting = _signin_meeting(mine)
    shuji = mine.client("shuji")
    assert "文件已上传" in _upload(shuji, meeting, "现场.png", PNG).content.decode()
    assert (
        "文件已上传" in _upload(shuji, meeting, "纪要.docx", _docx(), "attachment").content.decode()
    )
    assert "不符" in _upload(shuji, meeting, "fake.png", b"<html>hi</html>").content.decode()
    assert "不符" in _upload(shuji, meeting, "x.jpg", PNG).content.decode()  # png named jpg
    assert "只允许" in _upload(shuji, meeting, "evil.html", b"<html>").content.decode()
    assert "照片只允许" in _upload(shuji, meeting, "a.pdf", b"%PDF-1.4 x").content.decode()
    with override_settings(UPLOAD_MAX_BYTES=100):
        assert (
            "文件过大" in _upload(shuji, meeting, "big.jpg", JPEG + b"\x00" * 100).content.decode()
        )
    _upload(shuji, meeting, "../../etc/passwd.png", PNG)
    files = list(MeetingFile.objects.filter(meeting=meeting).order_by("pk"))
    assert [f.original_name for f in files] == ["现场.png", "纪要.docx", "passwd.png"]
    for f in files:
        assert "/" not in f.stored_name and f.stored_name != f.original_name
        assert (settings.PRIVATE_DIR / "orglife" / f.stored_name).exists()
    photo = shuji.get(reverse("orglife:file", args=[meeting.pk, files[0].pk]))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    assert "inline" in photo["Content-Disposition"]
    doc = shuji.get(reverse("orglife:file", args=[meeting.pk, files[1].pk]))
    assert doc["Content-Disposition"].startswith("attachment")
    assert (
        mine.client("secretary_a")
        .get(reverse("orglife:file", args=[meeting.pk, files[0].pk]))
        .status_code
        == 404
    )
    assert (
        mine.client("member_b")
        .get(reverse("orglife:file", args=[meeting.pk, files[0].pk]))
        .status_code
        == 403
    )


def test_compliance_board_colours_and_scope(mine):
    import time_machine

    types()
    with time_machine.travel(dt.datetime(2026, 6, 1, 4, tzinfo=dt.UTC), tick=False):
        shuji = mine.client("shuji").get(reverse("orglife:compliance")).content.decode()
        secretary = mine.client("secretary_a").get(reverse("orglife:compliance")).content.decode()
    assert f'data-org="{mine.branch_b.pk}"' in shuji and f'data-org="{mine.branch_a.pk}"' in shuji
    assert f'data-org="{mine.branch_b.pk}"' not in secretary
    assert 'data-type="theme_day" data-level="red"' in secretary


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("orglife:list")).status_code == 200
    return len(ctx.captured_queries)


def test_list_and_detail_query_counts_are_flat(mine):
    types()
    hold(mine, "theme_day", DAY)
    client = mine.client("secretary_a")
    small = _list_queries(client)
    for day in range(1, 19):
        schedule(mine, "theme_day", DAY.replace(day=day))
    assert _list_queries(client) == small
    m = Meeting.objects.order_by("pk").first()
    assert m is not None
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("orglife:detail", args=[m.pk]))
    detail_small = len(ctx.captured_queries)
    from dangjian.orglife.tests.helpers import add_members

    big = hold(mine, "theme_day", DAY.replace(day=21), invitees=None)
    add_members(mine, 5)
    big2 = hold(mine, "theme_day", DAY.replace(day=22))
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("orglife:detail", args=[big2.pk]))
    assert len(ctx.captured_queries) == detail_small
    assert big.pk


def test_meeting_types_page_and_edit(mine):
    types()
    assert mine.client("secretary_a").get(reverse("orglife:types")).status_code == 200
    mt = types()["theme_day"]
    assert (
        mine.client("secretary_a").get(reverse("orglife:type_edit", args=[mt.pk])).status_code
        == 403
    )
    response = mine.client("zuzhi").post(
        reverse("orglife:type_edit", args=[mt.pk]),
        {
            "name": "主题党日",
            "frequency": "month",
            "applies_to": ["branch"],
            "required": "on",
            "quorum": "none",
            "quorum_share": "0.5",
            "source": "条例",
            "note": "",
        },
    )
    assert response.status_code == 302


def test_export_job_contains_only_scoped_meetings(
    mine, meetings, django_capture_on_commit_callbacks
):
    from openpyxl import load_workbook

    from dangjian.core.models import Job

    client = mine.client("secretary_a")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("orglife:export"), {}).status_code == 200
    job = Job.objects.get(kind="export:orglife.meetings")
    from django.conf import settings as s

    sheet = load_workbook(s.PRIVATE_DIR / job.output_file).active
    titles = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert titles == ["A支部主题党日"]
