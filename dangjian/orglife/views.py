"""Organisational-life pages: meeting list, upcoming, plan form, detail with the workflow,
notice, sign-in (QR code for the secretary's screen, confirmation page for the member's phone),
minutes with uploads, file download, compliance board, meeting-type rules.

Views parse input, call selectors/services and render. No permission → 403; an object out of
scope → 404 (never a hint that it exists).
"""

from __future__ import annotations

import io
from typing import Any

import segno
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core import uploads
from dangjian.core.exports import export_start
from dangjian.core.listing import paginate_sorted
from dangjian.core.periods import Period
from dangjian.core.scope import has_permission, restrict
from dangjian.orglife import forms as f
from dangjian.orglife import selectors, services
from dangjian.orglife.models import (
    Meeting,
    MeetingAttendance,
    MeetingFile,
    MeetingType,
)
from dangjian.orglife.periods import parse_period, period_code
from dangjian.orglife.selectors.compliance import compliance
from dangjian.orgs.models import PartyOrg

State = Meeting.State


def _require(user: Any, model: type[models.Model], action: str) -> None:
    if not has_permission(user, model, action):
        raise PermissionDenied("您没有访问组织生活的权限。")


def _meeting_or_404(request: HttpRequest, pk: int, action: str = "view") -> Meeting:
    _require(request.user, Meeting, action)
    meeting = selectors.meeting_get(user=request.user, pk=pk, action=action)
    if meeting is None:
        raise Http404
    return meeting


def _crumbs(meeting: Meeting | None = None) -> list[tuple[str, str]]:
    crumbs = [("组织生活", reverse("orglife:list"))]
    if meeting is not None:
        crumbs.append((meeting.title, reverse("orglife:detail", args=[meeting.pk])))
    return crumbs


def _form_page(
    request: HttpRequest, form: Any, *, title: str, crumbs: list[tuple[str, str]], submit: str
) -> HttpResponse:
    if form.is_bound:
        form.mark_invalid()
    return render(
        request,
        "orgs/form.html",
        {
            "form": form,
            "cancel_url": crumbs[-1][1] if crumbs else "",
            "page_title": title,
            "breadcrumbs": [*crumbs, (title, "")],
            "submit": submit,
        },
    )


def _error_message(exc: ValidationError) -> str:
    return "；".join(exc.messages)


# --- list, upcoming, export ------------------------------------------------------------------

LIST_SORT = {"held_on": "planned_at", "title": "title", "org": "org__path", "state": "state"}
FILTERS = ("q", "org", "type", "state", "period")


def _filters(data: Any) -> dict[str, str]:
    return {key: str(data.get(key, "")).strip()[:40] for key in FILTERS}


def _filtered(user: Any, filters: dict[str, str]) -> Any:
    org = None
    if filters["org"].isdigit():
        org = restrict(PartyOrg.objects.all(), user, "view").filter(pk=int(filters["org"])).first()
        if org is None:
            return Meeting.objects.none()
    return selectors.meeting_list(
        user=user,
        org=org,
        meeting_type=filters["type"],
        state=filters["state"],
        period=parse_period(filters["period"]),
        q=filters["q"],
    )


@require_GET
def meeting_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, Meeting, "view")
    filters = _filters(request.GET)
    listing = paginate_sorted(
        request, _filtered(request.user, filters), sortable=LIST_SORT, default_sort="-held_on"
    )
    context = {
        "listing": listing,
        "rows": list(listing.object_list),
        "filters": filters,
        "types": MeetingType.objects.all(),
        "states": State.choices,
        "can_add": has_permission(request.user, Meeting, "add"),
        "can_export": has_permission(request.user, Meeting, "export"),
        "page_title": "会议列表",
        "breadcrumbs": [("组织生活", "")],
    }
    if getattr(request, "htmx", False) and request.headers.get("HX-Target") == "meeting-results":
        return render(request, "orglife/list.html#results", context)
    return render(request, "orglife/list.html", context)


@require_POST
def meeting_export(request: HttpRequest) -> HttpResponse:
    _require(request.user, Meeting, "export")
    job = export_start(user=request.user, key="orglife.meetings", params=_filters(request.POST))
    return render(request, "core/job.html#job-progress", {"job": job})


@require_GET
def meeting_upcoming(request: HttpRequest) -> HttpResponse:
    _require(request.user, Meeting, "view")
    today = timezone.localdate()
    rows = list(
        selectors.meeting_upcoming(user=request.user, today=today).order_by("planned_at")[:100]
    )
    return render(
        request,
        "orglife/upcoming.html",
        {
            "rows": rows,
            "page_title": "近期会议",
            "breadcrumbs": [("组织生活", reverse("orglife:list")), ("近期会议", "")],
        },
    )


# --- plan, detail, workflow -----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def meeting_create(request: HttpRequest) -> HttpResponse:
    _require(request.user, Meeting, "add")
    orgs = selectors.schedulable_orgs(user=request.user)
    types = MeetingType.objects.all()
    initial = {}
    if request.GET.get("org", "").isdigit():
        initial["org"] = request.GET["org"]
    form = f.MeetingForm(request.POST or None, orgs=orgs, types=types, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.meeting_schedule(
                actor=request.user,
                org=data["org"],
                meeting_type=data["meeting_type"],
                title=data["title"],
                planned_at=data["planned_at"],
                location=data["location"],
                host=data["host"],
                period_date=data["period_date"],
            )
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, "会议计划已创建。")
            return redirect("orglife:detail", pk=meeting.pk)
    return _form_page(request, form, title="计划会议", crumbs=_crumbs(), submit="创建会议计划")


@require_GET
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting_or_404(request, pk)
    can_change = (
        has_permission(request.user, Meeting, "change")
        and selectors.meeting_get(user=request.user, pk=pk, action="change") is not None
    )
    attendances = list(selectors.meeting_attendances(user=request.user, meeting=meeting))
    files = list(selectors.meeting_files(user=request.user, meeting=meeting))
    return render(
        request,
        "orglife/detail.html",
        {
            "meeting": meeting,
            "attendances": attendances,
            "files": files,
            "can_change": can_change,
            "statuses": [c for c in MeetingAttendance.Status.choices if c[0] != "invited"],
            "upload_form": f.UploadForm(),
            "page_title": meeting.title,
            "breadcrumbs": [*_crumbs(), (meeting.title, "")],
        },
    )


@require_http_methods(["GET", "POST"])
def meeting_notify(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting_or_404(request, pk, "change")
    people = services.org_member_queryset(meeting.org).order_by("employee_no")
    committee = meeting.meeting_type.quorum == "invitees"
    initial = (
        {}
        if committee
        else {"invitees": list(services.default_invitees(meeting).values_list("pk", flat=True))}
    )
    form = f.NoticeForm(request.POST or None, people=people, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_notify(
                actor=request.user,
                meeting=meeting,
                invitee_ids=[p.pk for p in form.cleaned_data["invitees"]],
            )
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, "会议通知已发出。")
            return redirect("orglife:detail", pk=meeting.pk)
    return _form_page(
        request, form, title="发出会议通知", crumbs=_crumbs(meeting), submit="发出通知"
    )


@require_POST
def meeting_transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    meeting = _meeting_or_404(request, pk, "change")
    handlers = {"open-signin": services.meeting_open_signin, "archive": services.meeting_archive}
    if action not in handlers:
        raise Http404
    try:
        handlers[action](actor=request.user, meeting=meeting)
    except ValidationError as exc:
        messages.error(request, _error_message(exc))
    else:
        messages.success(request, "已开始签到。" if action == "open-signin" else "会议已归档。")
    return redirect("orglife:detail", pk=meeting.pk)


@require_POST
def attendance_mark(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting_or_404(request, pk, "change")
    _require(request.user, MeetingAttendance, "change")
    form = f.AttendanceForm(request.POST)
    if not form.is_valid():
        messages.error(request, "出席情况填写不完整。")
    else:
        try:
            services.attendance_mark(
                actor=request.user,
                meeting=meeting,
                person_id=form.cleaned_data["person"],
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            messages.error(request, _error_message(exc))
        else:
            messages.success(request, "出席情况已登记。")
    return redirect(reverse("orglife:detail", args=[meeting.pk]) + "#attendance")


@require_http_methods(["GET", "POST"])
def meeting_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting_or_404(request, pk, "change")
    form = f.MinutesForm(
        request.POST or None,
        initial={
            "topic": meeting.topic or meeting.title,
            "content": meeting.content,
            "resolutions": meeting.resolutions,
            "speakers": meeting.speakers,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_record_minutes(
                actor=request.user, meeting=meeting, **form.cleaned_data
            )
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, "会议纪要已保存。")
            return redirect("orglife:detail", pk=meeting.pk)
    return _form_page(
        request, form, title="记录会议纪要", crumbs=_crumbs(meeting), submit="保存纪要"
    )


@require_POST
def meeting_upload(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting_or_404(request, pk, "change")
    _require(request.user, MeetingFile, "add")
    form = f.UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "请选择要上传的文件和类别。")
    else:
        try:
            services.meeting_attach(
                actor=request.user,
                meeting=meeting,
                upload=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
            )
        except ValidationError as exc:
            messages.error(request, _error_message(exc))
        else:
            messages.success(request, "文件已上传。")
    return redirect(reverse("orglife:detail", args=[meeting.pk]) + "#files")


@require_GET
def meeting_file(request: HttpRequest, pk: int, file_pk: int) -> FileResponse:
    _require(request.user, MeetingFile, "view")
    record = selectors.meeting_file_get(user=request.user, meeting_pk=pk, pk=file_pk)
    if record is None:
        raise Http404
    path = uploads.stored_path(record.stored_name, subdir=services.UPLOAD_DIR)
    if path is None:
        raise Http404
    inline = record.content_type.startswith("image/") and request.GET.get("download") != "1"
    response = FileResponse(
        path.open("rb"),
        as_attachment=not inline,
        filename=record.original_name,
        content_type=record.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- sign-in --------------------------------------------------------------------------------


def _signin_url(request: HttpRequest, meeting: Meeting) -> str:
    return request.build_absolute_uri(
        reverse("orglife:signin", args=[services.signin_token(meeting)])
    )


@require_GET
def meeting_signin_screen(request: HttpRequest, pk: int) -> HttpResponse:
    """The QR code for the secretary's screen, with live attendance."""
    meeting = _meeting_or_404(request, pk, "change")
    if meeting.state != State.SIGNIN:
        messages.error(request, "会议尚未开始签到或签到已结束。")
        return redirect("orglife:detail", pk=meeting.pk)
    attendances = list(selectors.meeting_attendances(user=request.user, meeting=meeting))
    return render(
        request,
        "orglife/signin_screen.html",
        {
            "meeting": meeting,
            "signin_url": _signin_url(request, meeting),
            "attendances": attendances,
            "present": sum(1 for a in attendances if a.status == "present"),
            "page_title": "扫码签到",
            "breadcrumbs": [*_crumbs(meeting), ("扫码签到", "")],
        },
    )


@require_GET
def meeting_qr(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting_or_404(request, pk, "change")
    if meeting.state != State.SIGNIN:
        raise Http404
    buffer = io.BytesIO()
    segno.make(_signin_url(request, meeting), error="m").save(buffer, kind="svg", scale=6, border=2)
    return HttpResponse(buffer.getvalue(), content_type="image/svg+xml")


@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest, token: str) -> HttpResponse:
    """The member's phone page behind the QR code: confirm, then check in (once)."""
    context: dict[str, Any] = {"page_title": "会议签到", "token": token}
    try:
        meeting = services.signin_resolve(token)
    except services.SigninError as exc:
        context["error"] = exc.message
        return render(request, "orglife/signin.html", context, status=exc.status)
    context["meeting"] = meeting
    if request.method == "POST":
        try:
            attendance, created = services.meeting_check_in(actor=request.user, token=token)
        except services.SigninError as exc:
            context["error"] = exc.message
            return render(request, "orglife/signin.html", context, status=exc.status)
        context["attendance"] = attendance
        context["done"] = "签到成功！" if created else "您已签到，无需重复签到。"
        return render(request, "orglife/signin.html", context)
    return render(request, "orglife/signin.html", context)


# --- compliance board ------------------------------------------------------------------------


@require_GET
def compliance_board(request: HttpRequest) -> HttpResponse:
    _require(request.user, Meeting, "view")
    if not has_permission(request.user, PartyOrg, "view"):
        raise PermissionDenied("您没有查看组织合规情况的权限。")
    today = timezone.localdate()
    chosen = parse_period(request.GET.get("month", ""))
    at = chosen.start if chosen is not None and chosen.kind == "month" else None
    orgs = restrict(PartyOrg.objects.all(), request.user, "view").filter(
        kind__in=(PartyOrg.Kind.BRANCH, PartyOrg.Kind.GROUP), dissolved_on__isnull=True
    )
    if request.GET.get("kind") == "branch":
        orgs = orgs.filter(kind=PartyOrg.Kind.BRANCH)
    listing = paginate_sorted(
        request, orgs, sortable={"path": "path", "name": "name"}, default_sort="path"
    )
    page_ids = [org.pk for org in listing.object_list]
    types = list(MeetingType.objects.filter(required=True).order_by("sort_order", "id"))
    items = compliance(PartyOrg.objects.filter(pk__in=page_ids), today=today, at=at, types=types)
    rows = []
    for item in items:
        cells = []
        for mt in types:
            slots = [s for s in item.slots if s.meeting_type.pk == mt.pk]
            level = max(
                (s.level for s in slots),
                key=lambda lv: {"red": 3, "yellow": 2, "green": 1, "": 0}[lv],
                default=None,
            )
            cells.append({"type": mt, "slots": slots, "level": level})
        rows.append({"item": item, "cells": cells})
    return render(
        request,
        "orglife/compliance.html",
        {
            "rows": rows,
            "types": types,
            "listing": listing,
            "month": f"{at:%Y-%m}" if at else "",
            "today": today,
            "period_code": period_code,
            "page_title": "组织生活合规看板",
            "breadcrumbs": [("组织生活", reverse("orglife:list")), ("合规看板", "")],
        },
    )


# --- rule table -----------------------------------------------------------------------------


@require_GET
def type_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, MeetingType, "view")
    return render(
        request,
        "orglife/types.html",
        {
            "rows": list(selectors.meeting_types(user=request.user)),
            "can_change": has_permission(request.user, MeetingType, "change"),
            "page_title": "会议规则",
            "breadcrumbs": [("组织生活", reverse("orglife:list")), ("会议规则", "")],
        },
    )


@require_http_methods(["GET", "POST"])
def type_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user, MeetingType, "change")
    meeting_type = selectors.meeting_types(user=request.user).filter(pk=pk).first()
    if meeting_type is None:
        raise Http404
    initial = {name: getattr(meeting_type, name) for name in services.TYPE_FIELDS}
    form = f.MeetingTypeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_type_update(
                actor=request.user, meeting_type=meeting_type, data=form.cleaned_data
            )
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, "会议规则已保存。")
            return redirect("orglife:types")
    crumbs = [("组织生活", reverse("orglife:list")), ("会议规则", reverse("orglife:types"))]
    return _form_page(
        request, form, title=f"修改规则：{meeting_type.name}", crumbs=crumbs, submit="保存"
    )


__all__ = ["Period"]
