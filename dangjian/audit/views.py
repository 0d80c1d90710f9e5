"""Audit-log pages for the audit administrator: search, detail, Excel export (AUD-07).

Every view refuses anyone else with 403 (the three administrators are kept apart; the
committee secretary is not an auditor either), and every search, read and export is itself
recorded in the chain before anything is shown (fail closed).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from dangjian.audit import selectors
from dangjian.audit.forms import EVENT_TYPE_LABELS, AuditFilterForm, event_type_label
from dangjian.audit.models import AuditEvent
from dangjian.audit.selectors import require_audit_admin
from dangjian.audit.services import audit_access_record
from dangjian.core.exports import export_start
from dangjian.core.listing import paginate_sorted

SORTABLE = {
    "time": "occurred_at",
    "actor": "actor_name",
    "type": "event_type",
    "outcome": "outcome",
    "ip": "ip",
}


@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    require_audit_admin(request.user)
    form = AuditFilterForm(request.GET or None)
    valid = not form.is_bound or form.is_valid()
    filters = form.filters() if form.is_bound and valid else {}
    events = selectors.event_list(user=request.user, filters=filters)
    if not valid:
        events = events.none()  # show the form errors, not the whole log
    listing = paginate_sorted(request, events, sortable=SORTABLE, default_sort="-time")
    if valid:
        audit_access_record(
            actor=request.user,
            event_type="audit_search",
            changes={
                "filters": filters,
                "sort": listing.sort,
                "page": listing.page.number,
                "results": listing.page.paginator.count,
            },
        )
    rows = [(event, event_type_label(event.event_type)) for event in listing.object_list]
    context = {
        "form": form,
        "listing": listing,
        "rows": rows,
        "event_types": sorted(EVENT_TYPE_LABELS.items()),
        "page_title": "审计日志",
        "breadcrumbs": [("安全审计", None), ("审计日志", None)],
    }
    template = "audit/event_list.html"
    if getattr(request, "htmx", False) and not request.htmx.boosted:  # type: ignore[attr-defined]
        template += "#results"
    return render(request, template, context)


@require_GET
def event_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    require_audit_admin(request.user)
    try:
        event = selectors.event_get(user=request.user, event_id=event_id)
    except AuditEvent.DoesNotExist as exc:
        raise Http404 from exc
    audit_access_record(
        actor=request.user,
        event_type="audit_view",
        obj=("audit.auditevent", event.pk, f"审计记录 #{event.pk}"),
        changes={"event_id": event.pk},
    )
    return render(
        request,
        "audit/event_detail.html",
        {
            "event": event,
            "event_label": event_type_label(event.event_type),
            "page_title": f"审计记录 #{event.pk}",
            "breadcrumbs": [
                ("安全审计", None),
                ("审计日志", reverse("audit:event_list")),
                (f"#{event.pk}", None),
            ],
        },
    )


@require_POST
def event_export(request: HttpRequest) -> HttpResponse:
    require_audit_admin(request.user)
    form = AuditFilterForm(request.POST)
    if not form.is_valid():
        return render(request, "audit/event_list.html#export-error", {"form": form}, status=400)
    filters = form.filters()
    job = export_start(user=request.user, key="audit.events", params=filters)
    audit_access_record(
        actor=request.user,
        event_type="audit_export",
        changes={"filters": filters, "job": str(job.uid)},
    )
    if getattr(request, "htmx", False):
        return render(request, "core/job.html#job-progress", {"job": job})
    return render(
        request,
        "audit/export_started.html",
        {"job": job, "page_title": "导出审计日志", "breadcrumbs": [("安全审计", None)]},
    )
