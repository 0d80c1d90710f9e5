"""Sheet pages: the scoring sheet (each criterion saved on its own by HTMX, optimistic locking
with a clear conflict message), attachments, the branch's self-check (phone friendly) and
objections.

No permission → 403; a sheet out of scope → 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.assessment.errors import StaleVersion
from dangjian.assessment.models import (
    AssessmentRound,
    EvidenceMethod,
    Objection,
    Score,
    ScoreAttachment,
    ScoreSheet,
    SelfCheck,
)
from dangjian.assessment.selectors import rounds as sel
from dangjian.assessment.services import sheets as svc
from dangjian.assessment.services.rounds import OBJECTION_STATES, may_for_branch
from dangjian.core import uploads
from dangjian.core.scope import has_permission, restrict

State = AssessmentRound.State


def _sheet_or_404(request: HttpRequest, pk: int) -> ScoreSheet:
    if not has_permission(request.user, ScoreSheet, "view"):
        raise PermissionDenied("您没有查看考核评分表的权限。")
    sheet = sel.sheet_get(user=request.user, pk=pk)
    if sheet is None:
        raise Http404
    return sheet


def _crumbs(sheet: ScoreSheet) -> list[tuple[str, str]]:
    return [
        ("考核轮次", reverse("assessment:round_list")),
        (sheet.round.name, reverse("assessment:round_detail", args=[sheet.round_id])),
    ]


def _can_see_scores(user: Any) -> bool:
    return has_permission(user, Score, "view")


@require_GET
def sheet_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = _sheet_or_404(request, pk)
    user = request.user
    if not _can_see_scores(user):
        raise PermissionDenied("您没有查看评分明细的权限。")
    groups, is_scorer = sel.sheet_rows(sheet, user)
    if not groups and not sel.may_self_check(user, sheet) and not is_scorer:
        raise Http404
    own = may_for_branch(user, Objection, "add", sheet.branch.path)
    context = {
        "sheet": sheet,
        "round": sheet.round,
        "groups": [(cat, [_row_context(request, r) for r in rows]) for cat, rows in groups],
        "evidence_choices": EvidenceMethod.choices,
        "can_object": own and sheet.round.state in OBJECTION_STATES,
        "objections": list(
            restrict(Objection.objects.filter(sheet=sheet), user, "view").prefetch_related(
                "criteria"
            )
        ),
        "page_title": f"{sheet.branch_name} · 考核评分表",
        "breadcrumbs": [*_crumbs(sheet), (sheet.branch_name, "")],
    }
    return render(request, "assessment/sheets/detail.html", context)


def _values(score: Score, post: Any = None) -> dict[str, Any]:
    """What the criterion's form shows: the user's input after a refusal, else the score."""
    if post is not None:
        return {
            "points": post.get("points", ""),
            "count_value": post.get("count_value", ""),
            "reason": post.get("reason", ""),
            "override_reason": post.get("override_reason", ""),
            "evidence_note": post.get("evidence_note", ""),
            "record_links": post.get("record_links", ""),
            "evidence_methods": post.getlist("evidence_methods"),
            "vetoed": post.get("vetoed") == "on",
            "deductions": {
                d.pk: post.get(f"ded_{d.pk}", "") for d in score.criterion.deductions.all()
            },
        }
    times = {int(d["item"]): d["times"] for d in score.deductions or []}
    return {
        "points": "" if score.points is None else score.points,
        "count_value": "" if score.count_value is None else score.count_value,
        "reason": score.reason,
        "override_reason": score.override_reason,
        "evidence_note": score.evidence_note,
        "record_links": ", ".join(f"{a}#{b}" for a, b in score.record_links or []),
        "evidence_methods": list(score.evidence_methods or []),
        "vetoed": score.vetoed,
        "deductions": {d.pk: times.get(d.pk, "") for d in score.criterion.deductions.all()},
    }


def _row_context(request: HttpRequest, row: Any, post: Any = None, **extra: Any) -> dict[str, Any]:
    deductions = [
        (d, _values(row.score, post)["deductions"].get(d.pk, ""))
        for d in row.score.criterion.deductions.all()
    ]
    return {
        "row": row,
        "v": _values(row.score, post),
        "deduction_rows": deductions,
        "evidence_choices": EvidenceMethod.choices,
        **extra,
    }


def _deductions_from(post: Any, score: Score) -> list[dict[str, int]]:
    rows = []
    for item in score.criterion.deductions.all():
        raw = str(post.get(f"ded_{item.pk}", "")).strip()
        if raw:
            rows.append({"item": item.pk, "times": int(raw) if raw.isdigit() else -1})
    return rows


def _links_from(text: str) -> list[list[Any]]:
    """``app.model#pk`` per line (or comma separated)."""
    links: list[list[Any]] = []
    for part in text.replace("，", ",").replace("\n", ",").split(","):
        part = part.strip()
        if not part:
            continue
        label, _, pk = part.partition("#")
        links.append([label.strip(), pk.strip() if pk.strip().isdigit() else "x"])
    return links


@require_POST
def score_save(request: HttpRequest, pk: int, score_pk: int) -> HttpResponse:
    sheet = _sheet_or_404(request, pk)
    user = request.user
    if not has_permission(user, Score, "change"):
        raise PermissionDenied("您没有评分的权限。")
    row = sel.score_row(score_pk, user)
    if row is None or row.score.sheet_id != sheet.pk:
        raise Http404
    post = request.POST
    version = int(post.get("version", "0")) if str(post.get("version", "")).isdigit() else 0
    error = ""
    conflict = None
    try:
        svc.score_save(
            actor=user,
            score_id=row.score.pk,
            version=version,
            points=post.get("points") or None,
            deductions=_deductions_from(post, row.score),
            count_value=post.get("count_value"),
            reason=str(post.get("reason", "")),
            override_reason=str(post.get("override_reason", "")),
            evidence_methods=post.getlist("evidence_methods"),
            evidence_note=str(post.get("evidence_note", "")),
            record_links=_links_from(str(post.get("record_links", ""))),
            vetoed=post.get("vetoed") == "on",
        )
    except StaleVersion:
        current = Score.objects.select_related("scored_by").get(pk=row.score.pk)
        who = current.scored_by.username if current.scored_by else "他人"
        when = timezone.localtime(current.scored_at).strftime("%H:%M") if current.scored_at else ""
        conflict = {
            "message": f"该细则已被 {who} 于 {when} 修改，您的修改未保存。"
            "下方为当前内容，您填写的内容已保留，请核对后重新保存。",
            "score": current,
        }
    except ValidationError as exc:
        error = "；".join(exc.messages)
    fresh = sel.score_row(score_pk, user)
    if error or conflict:
        # the user's input stays in the form; after a conflict the form carries the current
        # version, so saving again (after checking the other scorer's values) goes through
        context = _row_context(request, fresh, post, error=error, conflict=conflict)
        status = 409 if conflict else 400
        return render(request, "assessment/sheets/_score.html", context, status=status)
    context = _row_context(request, fresh, saved=True)
    return render(request, "assessment/sheets/_score.html", context)


@require_POST
def attachment_upload(request: HttpRequest, pk: int, score_pk: int) -> HttpResponse:
    sheet = _sheet_or_404(request, pk)
    if not has_permission(request.user, ScoreAttachment, "add"):
        raise PermissionDenied("您没有上传佐证材料的权限。")
    if not restrict(Score.objects.filter(pk=score_pk, sheet=sheet), request.user, "view").exists():
        raise Http404
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise ValidationError({"file": "请选择文件。"})
        svc.attachment_add(actor=request.user, score_id=score_pk, upload=upload)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "佐证材料已上传。")
    back = request.POST.get("next") or ""
    if back == "self_check":
        return redirect("assessment:self_check", sheet.pk)
    return redirect(f"{reverse('assessment:sheet_detail', args=[sheet.pk])}#score-{score_pk}")


@require_GET
def attachment_download(request: HttpRequest, pk: int, file_pk: int) -> FileResponse:
    if not has_permission(request.user, ScoreAttachment, "view"):
        raise PermissionDenied("您没有查看佐证材料的权限。")
    row = (
        restrict(ScoreAttachment.objects.filter(score__sheet_id=pk), request.user, "view")
        .filter(pk=file_pk)
        .first()
    )
    if row is None:
        raise Http404
    found = uploads.stored_path(row.file.name, subdir=svc.UPLOAD_DIR)
    if found is None:
        raise Http404
    return FileResponse(found.open("rb"), as_attachment=True, filename=row.original_name)


# --- self-check -----------------------------------------------------------------------------


@require_GET
def self_check_home(request: HttpRequest) -> HttpResponse:
    if not has_permission(request.user, SelfCheck, "change"):
        raise PermissionDenied("您没有填写支部自查的权限。")
    sheets = list(sel.own_sheets(request.user)[:50])
    open_sheets = [s for s in sheets if s.round.state == State.SELF_CHECK]
    if len(open_sheets) == 1 and request.GET.get("all") != "1":
        return redirect("assessment:self_check", open_sheets[0].pk)
    return render(
        request,
        "assessment/sheets/self_check_home.html",
        {"sheets": sheets, "page_title": "支部自查", "breadcrumbs": [("支部自查", "")]},
    )


@require_http_methods(["GET", "POST"])
def self_check(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = _sheet_or_404(request, pk)
    user = request.user
    if not has_permission(user, SelfCheck, "view"):
        raise PermissionDenied("您没有查看支部自查的权限。")
    check = restrict(SelfCheck.objects.filter(sheet=sheet), user, "view").first()
    if check is None:
        raise Http404
    editable = (
        sheet.round.state == State.SELF_CHECK
        and check.submitted_at is None
        and may_for_branch(user, SelfCheck, "change", sheet.branch.path)
    )
    status = 200
    values = {f: getattr(check, f) for f in svc.SELF_CHECK_FIELDS}
    if request.method == "POST":
        if not may_for_branch(user, SelfCheck, "change", sheet.branch.path):
            raise PermissionDenied("只能填写本支部的自查。")
        values = {f: str(request.POST.get(f, "")) for f in svc.SELF_CHECK_FIELDS}
        raw = str(request.POST.get("version", ""))
        try:
            check = svc.self_check_save(
                actor=user,
                sheet_id=sheet.pk,
                version=int(raw) if raw.isdigit() else 0,
                **values,
            )
            if request.POST.get("submit") == "1":
                check = svc.self_check_submit(actor=user, sheet_id=sheet.pk)
                messages.success(request, "自查已提交。")
            else:
                messages.success(request, "自查已保存。")
            return redirect("assessment:self_check", sheet.pk)
        except StaleVersion:
            messages.error(
                request,
                "自查报告已被他人修改，您的修改未保存；下方保留了您填写的内容，请核对后再保存。",
            )
            status = 409
            check.refresh_from_db()
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
            status = 400
    scores = list(
        restrict(Score.objects.filter(sheet=sheet), user, "view")
        .select_related("criterion__category")
        .prefetch_related("attachments")
    )
    labels = svc.SELF_CHECK_LABELS
    return render(
        request,
        "assessment/sheets/self_check.html",
        {
            "sheet": sheet,
            "check": check,
            "fields": [(f, labels[f], values[f]) for f in svc.SELF_CHECK_FIELDS],
            "scores": scores,
            "editable": editable,
            "page_title": f"{sheet.branch_name} · 支部自查",
            "breadcrumbs": [
                ("支部自查", reverse("assessment:self_check_home") + "?all=1"),
                (sheet.round.name, ""),
            ],
        },
        status=status,
    )


@require_POST
def self_score_save(request: HttpRequest, pk: int, score_pk: int) -> HttpResponse:
    sheet = _sheet_or_404(request, pk)
    score = restrict(Score.objects.filter(pk=score_pk, sheet=sheet), request.user, "view").first()
    if score is None:
        raise Http404
    raw = str(request.POST.get("version", ""))
    error = ""
    status = 200
    try:
        score = svc.self_score_save(
            actor=request.user,
            score_id=score.pk,
            version=int(raw) if raw.isdigit() else 0,
            points=request.POST.get("self_points") or None,
            note=str(request.POST.get("self_note", "")),
        )
    except StaleVersion:
        error = "该细则的自评已被他人修改，您的修改未保存，请核对后重新保存。"
        status = 409
        score.refresh_from_db()
    except ValidationError as exc:
        error = "；".join(exc.messages)
        status = 400
    score = (
        Score.objects.select_related("criterion__category")
        .prefetch_related("attachments")
        .get(pk=score.pk)
    )
    return render(
        request,
        "assessment/sheets/_self_score.html",
        {
            "s": score,
            "sheet": sheet,
            "editable": True,
            "error": error,
            "saved": not error,
            "posted": request.POST if error else None,
        },
        status=status,
    )


@require_POST
def objection_create(request: HttpRequest, pk: int) -> HttpResponse:
    sheet = _sheet_or_404(request, pk)
    from dangjian.assessment.services.rounds import objection_raise

    try:
        objection_raise(
            actor=request.user,
            sheet_id=sheet.pk,
            criterion_ids=[int(i) for i in request.POST.getlist("criteria") if i.isdigit()],
            text=str(request.POST.get("text", "")),
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "异议已提交，党委将在异议处理阶段答复。")
    return redirect("assessment:sheet_detail", sheet.pk)


urlpatterns: list[URLPattern] = [
    path("sheets/<int:pk>/", sheet_detail, name="sheet_detail"),
    path("sheets/<int:pk>/scores/<int:score_pk>/", score_save, name="score_save"),
    path(
        "sheets/<int:pk>/scores/<int:score_pk>/upload/",
        attachment_upload,
        name="attachment_upload",
    ),
    path("sheets/<int:pk>/files/<int:file_pk>/", attachment_download, name="attachment_download"),
    path("self-check/", self_check_home, name="self_check_home"),
    path("sheets/<int:pk>/self-check/", self_check, name="self_check"),
    path(
        "sheets/<int:pk>/self-check/scores/<int:score_pk>/",
        self_score_save,
        name="self_score_save",
    ),
    path("sheets/<int:pk>/objections/", objection_create, name="objection_create"),
]
