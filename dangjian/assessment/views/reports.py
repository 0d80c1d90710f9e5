"""Downloads of a round: the notice (Word/PDF), the ranking (Excel) and all scores (Excel job).

The notice and the ranking are read by anyone who may read the round's results (announced, or
a lead before announcement); the full score export needs ``export_scoresheet`` and runs as a
background job whose rows are restricted to the job owner.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from dangjian.assessment import reports
from dangjian.assessment.models import AssessmentRound, ScoreSheet
from dangjian.assessment.selectors import results as sel
from dangjian.audit.services import audit_record
from dangjian.core.exports import export_start
from dangjian.core.models import Job
from dangjian.core.rules import rule
from dangjian.core.scope import has_permission

CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _readable_round(user: Any, pk: int) -> AssessmentRound:
    if not has_permission(user, ScoreSheet, "view"):
        raise PermissionDenied("您没有查看考核结果的权限。")
    rnd = sel.round_get(user, pk)
    if rnd is None or not sel.results_visible(rnd, user):
        raise Http404
    return rnd


def _download(content: bytes, filename: str, fmt: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@require_GET
def round_notice(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    if fmt not in ("docx", "pdf"):
        raise Http404
    rnd = _readable_round(request.user, pk)
    data = reports.notice_data(rnd, request.user)
    content = reports.write_notice_docx(data) if fmt == "docx" else reports.write_notice_pdf(data)
    with transaction.atomic():
        audit_record(
            "export",
            obj=rnd,
            changes={"document": "考核通报", "format": fmt, "rows": len(data.rows)},
        )
    return _download(content, f"{data.title}.{fmt}", fmt)


@require_GET
def results_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    if not has_permission(request.user, ScoreSheet, "export"):
        raise PermissionDenied("您没有导出考核结果的权限。")
    rnd = _readable_round(request.user, pk)
    content = reports.ranking_xlsx(rnd, request.user)
    with transaction.atomic():
        audit_record("export", obj=rnd, changes={"document": "考核排名", "format": "xlsx"})
    return _download(content, f"{rnd.name}-考核排名.xlsx", "xlsx")


@require_http_methods(["GET", "POST"])
def scores_export(request: HttpRequest, pk: int) -> HttpResponse:
    if not has_permission(request.user, ScoreSheet, "export"):
        raise PermissionDenied("您没有导出考核得分的权限。")
    rnd = _readable_round(request.user, pk)
    if request.method == "POST":
        with transaction.atomic():
            job = export_start(
                user=request.user, key=reports.SCORES_EXPORT, params={"round": rnd.pk}
            )
        return redirect("assessment:scores_export_job", uid=job.uid)
    context = {
        "page_title": "导出考核得分及佐证",
        "breadcrumbs": [
            ("考核评价", None),
            ("考核结果", reverse("assessment:results")),
            (rnd.name, reverse("assessment:round_results", args=[rnd.pk])),
            ("导出", None),
        ],
        "round": rnd,
        "count": reports.scores_queryset(request.user, rnd.pk).count(),
        "row_cap": rule("security.export_row_cap"),
        "ttl_hours": rule("security.export_ttl_hours"),
    }
    return render(request, "assessment/reports/export.html", context)


@never_cache
@require_GET
def scores_export_job(request: HttpRequest, uid: str) -> HttpResponse:
    if not has_permission(request.user, ScoreSheet, "export"):
        raise PermissionDenied("您没有导出考核得分的权限。")
    job = get_object_or_404(
        Job, uid=uid, owner=request.user, kind=f"export:{reports.SCORES_EXPORT}"
    )
    context = {
        "page_title": "导出进度",
        "breadcrumbs": [("考核评价", None), ("考核结果", reverse("assessment:results"))],
        "job": job,
        "ttl_hours": rule("security.export_ttl_hours"),
    }
    return render(request, "assessment/reports/export_job.html", context)


urlpatterns = [
    path("results/<int:pk>/notice.<str:fmt>", round_notice, name="round_notice"),
    path("results/<int:pk>/ranking.xlsx", results_xlsx, name="results_xlsx"),
    path("results/<int:pk>/export/", scores_export, name="scores_export"),
    path("results/export/<uuid:uid>/", scores_export_job, name="scores_export_job"),
]
