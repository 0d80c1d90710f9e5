"""Person Excel import and export pages (issue 2 §3; SECURITY.md IN-05, PI-05).

Views only parse input, call :mod:`dangjian.people.importing` / :mod:`dangjian.core.exports`
and render. Permission anywhere (``has_permission``) or 403; jobs are looked up by owner, so
somebody else's job is a 404.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from dangjian.audit.services import audit_record
from dangjian.core.excel import UploadRejected, check_xlsx_upload
from dangjian.core.exports import export_start
from dangjian.core.models import Job
from dangjian.core.rules import rule
from dangjian.core.scope import has_permission
from dangjian.people import importing
from dangjian.people.exporting import EXPORT_KEY, export_params
from dangjian.people.models import Person

IMPORT_KIND = "import:people.persons"
EXPORT_KIND = f"export:{EXPORT_KEY}"


def _require(user: Any, action: str) -> None:
    if not has_permission(user, Person, action):
        label = "导入" if action == "import" else "导出"
        raise PermissionDenied(f"您没有{label}人员的权限。")


def _crumbs(label: str) -> list[tuple[str, str | None]]:
    return [("人员管理", None), ("人员名册", reverse("people:list")), (label, None)]


@require_GET
def import_template(request: HttpRequest) -> HttpResponse:
    _require(request.user, "import")
    content = importing.import_template(user=request.user)
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = _disposition(as_attachment=True, filename="人员导入模板.xlsx")
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    """Upload form; small files are imported in the request, large ones become a job."""
    _require(request.user, "import")
    context: dict[str, Any] = {
        "page_title": "批量导入人员",
        "breadcrumbs": _crumbs("批量导入"),
        "max_mb": _max_mb(),
        "max_rows": rule("security.import_max_rows"),
        "background_rows": rule("security.import_background_rows"),
    }
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["rejected"] = "请选择要导入的 Excel 文件。"
            return render(request, "people/import.html", context, status=400)
        name = upload.name or ""
        try:
            check_xlsx_upload(upload, upload.size or 0, name)
            rows = importing.count_data_rows(upload)
            if rows >= int(rule("security.import_background_rows")):
                with transaction.atomic():
                    job = importing.import_start(
                        user=request.user, fh=upload, filename=name, rows=rows
                    )
                return redirect("people:import_job", uid=job.uid)
            result = importing.person_import(actor=request.user, fh=upload, filename=name)
        except UploadRejected as exc:
            audit_record(
                "import",
                obj=("people.person", "", name[:200]),
                outcome="failure",
                changes={"file": name[:200], "rejected": str(exc)},
            )
            context["rejected"] = str(exc)
            return render(request, "people/import.html", context, status=400)
        except importing.ImportFailed as exc:
            context["rejected"] = str(exc)
            return render(request, "people/import.html", context, status=409)
        context["result"] = result
        context["filename"] = name
        return render(request, "people/import.html", context, status=200 if result.ok else 400)
    return render(request, "people/import.html", context)


@never_cache
@require_GET
def import_job(request: HttpRequest, uid: str) -> HttpResponse:
    _require(request.user, "import")
    job = get_object_or_404(Job, uid=uid, owner=request.user, kind=IMPORT_KIND)
    context = {"page_title": "导入进度", "breadcrumbs": _crumbs("导入进度"), "job": job}
    return render(request, "people/import_job.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def export(request: HttpRequest) -> HttpResponse:
    """GET: what will be exported; POST: start the export job and go to its progress page."""
    _require(request.user, "export")
    params = export_params(request.POST if request.method == "POST" else request.GET)
    if request.method == "POST":
        with transaction.atomic():
            job = export_start(user=request.user, key=EXPORT_KEY, params=params)
        return redirect("people:export_job", uid=job.uid)
    from dangjian.people.exporting import export_queryset

    context = {
        "page_title": "导出人员名单",
        "breadcrumbs": _crumbs("导出"),
        "params": params,
        "count": export_queryset(request.user, params).count(),
        "row_cap": rule("security.export_row_cap"),
        "ttl_hours": rule("security.export_ttl_hours"),
        "list_url": reverse("people:list"),
    }
    return render(request, "people/export.html", context)


@never_cache
@require_GET
def export_job(request: HttpRequest, uid: str) -> HttpResponse:
    _require(request.user, "export")
    job = get_object_or_404(Job, uid=uid, owner=request.user, kind=EXPORT_KIND)
    context = {
        "page_title": "导出进度",
        "breadcrumbs": _crumbs("导出进度"),
        "job": job,
        "ttl_hours": rule("security.export_ttl_hours"),
    }
    return render(request, "people/export_job.html", context)


def _max_mb() -> int:
    from django.conf import settings

    return int(settings.UPLOAD_MAX_BYTES // (1024 * 1024))


def _disposition(*, as_attachment: bool, filename: str) -> str:
    return content_disposition_header(as_attachment=as_attachment, filename=filename) or ""
