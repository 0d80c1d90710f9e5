"""AUD-07: the audit admin searches, reads and exports the log; nobody else can; all audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from dangjian.audit.exports import export_events
from dangjian.audit.models import AuditEvent
from dangjian.audit.services import audit_record, audit_verify
from dangjian.core.models import Job
from dangjian.core.registries import nav_for
from dangjian.core.testing import ROLES

pytestmark = pytest.mark.django_db

URLS = [
    ("get", "audit:event_list", {}),
    ("get", "audit:event_detail", {"event_id": 1}),
    ("post", "audit:event_export", {}),
]
NOT_AUDITORS = [role for role in ROLES if role != "auditor"]


@pytest.mark.parametrize("role", NOT_AUDITORS)
@pytest.mark.parametrize(("method", "name", "kwargs"), URLS)
def test_everyone_but_the_audit_admin_gets_403(mine, role, method, name, kwargs):
    event = audit_record("test", actor_name="x")
    kwargs = {"event_id": event.pk} if kwargs else {}
    response = getattr(mine.client(role), method)(reverse(name, kwargs=kwargs))
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(event_type__startswith="audit_").exists()
    assert not Job.objects.exists()


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("audit:event_list"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_menu_entry_only_for_the_audit_admin(mine):
    def labels(user):
        return [item.label for _, items in nav_for(user) for item in items]

    assert "审计日志" in labels(mine.users["auditor"])
    for role in NOT_AUDITORS:
        assert "审计日志" not in labels(mine.users[role]), role


def _seed(mine):
    audit_record(
        "update",
        obj=mine.member_a,
        actor=mine.users["secretary_a"],
        changes={"post": ["采煤工", "班长"], "phone": ["138****0001", "139****0002"]},
    )
    audit_record("reveal", obj=mine.member_b, actor=mine.users["shuji"], reason="核对党籍")
    audit_record("login_failure", outcome="failure", actor_name="nobody")


def test_list_shows_events_and_search_is_audited(mine):
    _seed(mine)
    client = mine.client("auditor")
    response = client.get(reverse("audit:event_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "审计日志" in body
    assert "secretary_a" in body and "查看明文" in body
    search = AuditEvent.objects.filter(event_type="audit_search").get()
    assert search.actor_id == mine.users["auditor"].pk
    assert search.changes["filters"] == {}
    assert audit_verify().ok


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"actor": "secretary"}, {"update"}),
        ({"event_type": "reveal"}, {"reveal"}),
        ({"outcome": "failure"}, {"login_failure"}),
        ({"object_type": "people.person"}, {"create", "update", "reveal"}),
    ],
)
def test_filters(mine, params, expected):
    _seed(mine)
    response = mine.client("auditor").get(reverse("audit:event_list"), params)
    types = {e.event_type for e, _ in response.context["rows"]}
    assert types == expected
    search = AuditEvent.objects.filter(event_type="audit_search").latest("id")
    assert search.changes["filters"] == params


def test_filter_by_object_id_ip_request_id_and_dates(mine):
    _seed(mine)
    target = AuditEvent.objects.get(event_type="reveal")
    client = mine.client("auditor")

    def found(params):
        response = client.get(reverse("audit:event_list"), params)
        return {e.pk for e, _ in response.context["rows"]}

    assert target.pk in found({"object_type": "people.person", "object_id": target.object_id})
    assert found({"object_id": "999999"}) == set()
    today = timezone.localdate()
    assert target.pk in found({"date_from": today.isoformat(), "date_to": today.isoformat()})
    assert found({"date_to": (today - dt.timedelta(days=2)).isoformat()}) == set()
    # events recorded inside a request carry its IP and request id
    response = client.get(reverse("audit:event_list"), REMOTE_ADDR="10.2.3.4")
    search = AuditEvent.objects.filter(event_type="audit_search").latest("id")
    assert search.ip == "10.2.3.4"
    assert search.request_id == response["X-Request-ID"]
    assert search.pk in found({"ip": "10.2."})
    assert found({"request_id": search.request_id}) == {search.pk}


def test_invalid_dates_show_a_chinese_error(mine):
    response = mine.client("auditor").get(
        reverse("audit:event_list"), {"date_from": "2026-05-02", "date_to": "2026-05-01"}
    )
    assert response.status_code == 200
    assert "结束日期不能早于开始日期" in response.content.decode()
    assert list(response.context["rows"]) == []


def test_sort_and_pagination(mine):
    for i in range(25):
        audit_record("test", actor_name=f"user{i:02d}")
    client = mine.client("auditor")
    page1 = client.get(reverse("audit:event_list"), {"event_type": "test", "sort": "actor"})
    names = [e.actor_name for e, _ in page1.context["rows"]]
    assert names == [f"user{i:02d}" for i in range(20)]
    page2 = client.get(
        reverse("audit:event_list"), {"event_type": "test", "sort": "-actor", "page": 2}
    )
    assert [e.actor_name for e, _ in page2.context["rows"]] == [
        f"user{i:02d}" for i in (4, 3, 2, 1, 0)
    ]
    assert "共 25 条" in page2.content.decode()


def test_htmx_request_gets_the_results_fragment(mine):
    _seed(mine)
    response = mine.client("auditor").get(
        reverse("audit:event_list"), {"event_type": "reveal"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert 'id="audit-results"' in body
    assert "<html" not in body


def test_detail_shows_field_level_changes_and_is_audited(mine):
    _seed(mine)
    event = AuditEvent.objects.get(event_type="update")
    response = mine.client("auditor").get(reverse("audit:event_detail", args=[event.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "字段变更" in body
    assert "采煤工" in body and "班长" in body
    assert "139****0002" in body
    read = AuditEvent.objects.get(event_type="audit_view")
    assert read.object_id == str(event.pk)
    assert (
        mine.client("auditor").get(reverse("audit:event_detail", args=[999999])).status_code == 404
    )


def test_export_writes_the_filtered_log_and_is_audited(mine, django_capture_on_commit_callbacks):
    _seed(mine)
    client = mine.client("auditor")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("audit:event_export"), {"event_type": "reveal"}, HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 200
    job = Job.objects.get()
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.message
    from django.conf import settings

    workbook = load_workbook(settings.PRIVATE_DIR / job.output_file, read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][0] == "ID" and "哈希" in rows[0]
    assert [r[8] for r in rows[1:]] == ["reveal"]
    assert AuditEvent.objects.filter(event_type="audit_export").count() == 1
    export = AuditEvent.objects.get(event_type="export")
    assert export.changes["rows"] == 1
    assert export.changes["params"] == {"event_type": "reveal"}
    download = client.get(reverse("core:job_download", args=[job.uid]))
    assert download.status_code == 200
    assert audit_verify().ok


def test_exporter_refuses_anyone_but_the_audit_admin(mine):
    _seed(mine)
    for role in NOT_AUDITORS:
        with pytest.raises(PermissionDenied):
            headers, rows = export_events(mine.users[role], {})
            list(rows)
    headers, rows = export_events(mine.users["auditor"], {"event_type": "reveal"})
    assert headers[0] == "ID"
    assert len(list(rows)) == 1


def test_export_command(mine, tmp_path, capsys):
    from django.core.management import call_command

    _seed(mine)
    out = tmp_path / "audit.xlsx"
    call_command("audit", "export", "--output", str(out), "--event-type", "update")
    rows = list(load_workbook(out, read_only=True).active.iter_rows(values_only=True))
    assert len(rows) == 2
    assert "已导出 1 条" in capsys.readouterr().out
    assert AuditEvent.objects.get(event_type="audit_export").changes["rows"] == 1
