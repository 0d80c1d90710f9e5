"""Standard-ledger pages: choose a branch and year, the printable ledger, file generation.

Permission anywhere (``has_permission``) else 403; a branch outside the user's ledger scope
answers 404. Files are generated in the background and downloaded by their owner only.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from dangjian.core.models import Job
from dangjian.core.rules import rule
from dangjian.core.scope import has_permission
from dangjian.ledgers import selectors, services
from dangjian.ledgers.models import Ledger

SECTION = "组织生活"


def _require(user: Any, action: str = "view") -> None:
    if not has_permission(user, Ledger, action):
        label = "下载" if action == "export" else "查看"
        raise PermissionDenied(f"您没有{label}标准化台帐的权限。")


def _crumbs(*extra: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [(SECTION, None), ("标准化台帐", reverse("ledgers:index")), *extra]


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**62 else None


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    _require(request.user)
    branch_id, year = _int(request.GET.get("branch")), _int(request.GET.get("year"))
    if branch_id and year:
        return redirect("ledgers:view", branch_id=branch_id, year=year)
    this_year = timezone.localdate().year
    context = {
        "page_title": "标准化台帐",
        "breadcrumbs": _crumbs(),
        "branches": selectors.ledger_branches(user=request.user).only("pk", "name"),
        "years": list(range(this_year, this_year - 6, -1)),
        "recent": selectors.recent_ledgers(user=request.user),
        "ttl_hours": rule("security.export_ttl_hours"),
    }
    return render(request, "ledgers/index.html", context)


@require_GET
def ledger_view(request: HttpRequest, branch_id: int, year: int) -> HttpResponse:
    """The printable ledger (the browser's print prints it without the navigation)."""
    _require(request.user)
    branch = selectors.branch_get(user=request.user, pk=branch_id)
    if branch is None:
        raise Http404
    try:
        services.check_year(year)
    except ValidationError as exc:
        raise Http404 from exc
    data = selectors.build_ledger(branch, year)
    context = {
        "page_title": data.title,
        "breadcrumbs": _crumbs((data.title, None)),
        "ledger": data,
        "formats": Ledger.Format.choices,
        "can_export": selectors.branch_get(user=request.user, pk=branch_id, action="export")
        is not None,
    }
    return render(request, "ledgers/ledger.html", context)


@require_POST
def generate(request: HttpRequest, branch_id: int, year: int) -> HttpResponse:
    _require(request.user, "export")
    try:
        job = services.ledger_start(
            actor=request.user,
            branch_id=branch_id,
            year=year,
            fmt=request.POST.get("fmt", ""),
        )
    except ValidationError as exc:
        raise Http404 from exc
    return redirect("ledgers:job", uid=job.uid)


@never_cache
@require_GET
def job(request: HttpRequest, uid: str) -> HttpResponse:
    _require(request.user, "export")
    found = get_object_or_404(Job, uid=uid, owner=request.user, kind__startswith="ledger:")
    context = {
        "page_title": "台帐生成进度",
        "breadcrumbs": _crumbs(("生成进度", None)),
        "job": found,
        "ttl_hours": rule("security.export_ttl_hours"),
    }
    return render(request, "ledgers/job.html", context)
