"""Transfer pages: list, detail (with the next step's buttons), start an internal transfer,
issue a letter, register an incoming letter, approve / accept / reject / receipt.

No view permission on transfers → 403; a transfer outside the user's scope (neither the sending
nor the receiving side, nor the member) → 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core.listing import paginate_sorted
from dangjian.core.scope import has_permission
from dangjian.transfers import forms as f
from dangjian.transfers import selectors, services
from dangjian.transfers.models import Transfer

SORT = {"requested": "requested_at", "person": "person__name", "status": "status"}


def _require(user: Any, action: str = "view") -> None:
    if not has_permission(user, Transfer, action):
        raise PermissionDenied("您没有办理组织关系转接的权限。")


def _get(request: HttpRequest, pk: int) -> Transfer:
    transfer = selectors.transfer_get(user=request.user, pk=pk)
    if transfer is None:
        raise Http404
    return transfer


def _crumbs(*extra: tuple[str, str]) -> list[tuple[str, str]]:
    return [("组织关系转接", reverse("transfers:list")), *extra]


@require_GET
def transfer_list(request: HttpRequest) -> HttpResponse:
    _require(request.user)
    filters = {key: request.GET.get(key, "").strip()[:100] for key in ("q", "kind", "status")}
    qs = selectors.transfer_list(
        user=request.user, q=filters["q"], kind=filters["kind"], status=filters["status"]
    )
    listing = paginate_sorted(request, qs, sortable=SORT, default_sort="-requested")
    context = {
        "listing": listing,
        "rows": list(listing.object_list),
        "filters": filters,
        "kinds": Transfer.Kind.choices,
        "statuses": Transfer.Status.choices,
        "can_add": has_permission(request.user, Transfer, "add"),
        "page_title": "组织关系转接",
        "breadcrumbs": [("组织关系转接", "")],
    }
    if getattr(request, "htmx", False) and request.headers.get("HX-Target") == "transfer-results":
        return render(request, "transfers/list.html#results", context)
    return render(request, "transfers/list.html", context)


@require_GET
def transfer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = _get(request, pk)
    user = request.user
    status = transfer.status
    context = {
        "t": transfer,
        "may_approve": status == Transfer.Status.PENDING_OUT
        and selectors.may_act(user=user, transfer=transfer, side="out"),
        "may_accept": status == Transfer.Status.PENDING_IN
        and selectors.may_act(user=user, transfer=transfer, side="in"),
        "may_receipt": status == Transfer.Status.AWAITING_RECEIPT
        and selectors.may_act(user=user, transfer=transfer, side="out"),
        "accept_form": f.AcceptForm(org=transfer.to_org),
        "receipt_form": f.ReceiptForm(),
        "reject_form": f.RejectForm(),
        "page_title": f"转接：{transfer.person.name}",
        "breadcrumbs": _crumbs((transfer.person.name, "")),
    }
    return render(request, "transfers/detail.html", context)


def _form_view(
    request: HttpRequest, form_class: type[f.StyledForm], title: str, save: Any
) -> HttpResponse:
    _require(request.user, "add")
    form = form_class(request.POST or None, user=request.user)  # type: ignore[call-arg]
    if request.method == "POST" and form.is_valid():
        try:
            transfer = save(form.cleaned_data)
        except ValidationError as exc:
            form.apply_errors(exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "已保存。")
            return redirect("transfers:detail", pk=transfer.pk)
    if form.is_bound:
        form.mark_invalid()
    return render(
        request,
        "transfers/form.html",
        {
            "form": form,
            "page_title": title,
            "breadcrumbs": _crumbs((title, "")),
            "cancel_url": reverse("transfers:list"),
        },
    )


@require_http_methods(["GET", "POST"])
def transfer_start(request: HttpRequest) -> HttpResponse:
    def save(data: dict[str, Any]) -> Transfer:
        return services.transfer_start(
            actor=request.user,
            person_id=data["person"].pk,
            to_org=data["to_org"],
            to_group=data["to_group"],
            reason=data["reason"],
            paid_up_to=data["paid_up_to"],
        )

    return _form_view(request, f.StartForm, "发起系统内转接", save)


@require_http_methods(["GET", "POST"])
def letter_issue(request: HttpRequest) -> HttpResponse:
    def save(data: dict[str, Any]) -> Transfer:
        return services.letter_issue(
            actor=request.user,
            person_id=data["person"].pk,
            external_org=data["external_org"],
            cross_province=data["cross_province"],
            paid_up_to=data["paid_up_to"],
            reason=data["reason"],
            issued_on=data["issued_on"],
        )

    return _form_view(request, f.LetterForm, "开具组织关系介绍信（转出系统外）", save)


@require_http_methods(["GET", "POST"])
def incoming_register(request: HttpRequest) -> HttpResponse:
    def save(data: dict[str, Any]) -> Transfer:
        return services.incoming_register(
            actor=request.user,
            person_id=data["person"].pk,
            to_org=data["to_org"],
            to_group=data["to_group"],
            external_org=data["external_org"],
            letter_no=data["letter_no"],
            issued_on=data["issued_on"],
            paid_up_to=data["paid_up_to"],
        )

    return _form_view(request, f.IncomingForm, "登记转入（系统外介绍信）", save)


def _step(request: HttpRequest, pk: int, action: Any, done: str) -> HttpResponse:
    _get(request, pk)  # 404 outside scope
    _require(request.user, "change")
    try:
        action()
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("transfers:detail", pk=pk)


@require_POST
def transfer_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request, pk, lambda: services.transfer_approve(actor=request.user, pk=pk), "已审批转出。"
    )


@require_POST
def transfer_accept(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = _get(request, pk)
    form = f.AcceptForm(request.POST, org=transfer.to_org)
    group = form.cleaned_data.get("to_group") if form.is_valid() else None
    return _step(
        request,
        pk,
        lambda: services.transfer_accept(actor=request.user, pk=pk, to_group=group),
        "已接收，党员组织关系已转入。",
    )


@require_POST
def transfer_reject(request: HttpRequest, pk: int) -> HttpResponse:
    reason = request.POST.get("reason", "")[:200]
    return _step(
        request,
        pk,
        lambda: services.transfer_reject(actor=request.user, pk=pk, reason=reason),
        "已退回。",
    )


@require_POST
def letter_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    form = f.ReceiptForm(request.POST)
    day = form.cleaned_data["receipt_on"] if form.is_valid() else None
    return _step(
        request,
        pk,
        lambda: services.letter_receipt(actor=request.user, pk=pk, receipt_on=day),
        "已登记回执，转接办结。",
    )
