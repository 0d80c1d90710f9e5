"""Shared views: health check, error pages, background-job progress and result download."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from dangjian.core.models import Job


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        db = "ok"
    except Exception:  # health check reports, never raises
        db = "error"
    status = 200 if db == "ok" else 503
    return JsonResponse(
        {"status": "ok" if db == "ok" else "error", "database": db, "engine": connection.vendor},
        status=status,
    )


def error_page(request: HttpRequest, status: int, title: str, detail: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail}, status=status)
    return render(
        request,
        "core/error.html",
        {"status": status, "title": title, "detail": detail},
        status=status,
    )


@login_not_required
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 400, "请求无效", "请求格式不正确。")


@login_not_required
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    detail = str(exception) if exception and str(exception) else "您没有执行此操作的权限。"
    return error_page(request, 403, "无权访问", detail)


@login_not_required
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 404, "页面不存在", "您访问的页面不存在或不在您的数据范围内。")


@login_not_required
def server_error(request: HttpRequest) -> HttpResponse:
    return error_page(
        request, 500, "系统错误", "服务器处理请求时出错，请稍后再试或联系系统管理员。"
    )


def _own_job(request: HttpRequest, uid: str) -> Job:
    return get_object_or_404(Job, uid=uid, owner=request.user).live()


@require_GET
def job_status(request: HttpRequest, uid: str) -> HttpResponse:
    """Progress fragment, polled by HTMX every second until the job finishes."""
    job = _own_job(request, uid)
    if request.headers.get("Accept") == "application/json":
        return JsonResponse(job.as_dict())
    return render(request, "core/job.html#job-progress", {"job": job})


@require_GET
def job_download(request: HttpRequest, uid: str) -> HttpResponse | FileResponse:
    """The job's result file, only to its owner, as an attachment, and only once (PI-05): the
    file is deleted as it is handed over (the open handle still streams it), the download is
    audited, and asking again answers 410 with the reason."""
    from dangjian.core.exports import OutputGone, job_output_hand_over

    job = _own_job(request, uid)
    try:
        handed = job_output_hand_over(job=job)
    except OutputGone as exc:
        return error_page(request, 410, "文件已下载", str(exc))
    if handed is None:
        raise Http404
    handle, name = handed
    return FileResponse(handle, as_attachment=True, filename=name)
