"""Organisation pages: party-organisation tree, list, detail, forms, restructuring; units;
departments; the org-tree picker endpoint. Views parse input, call selectors/services, render.

Management pages answer 403 to users without the view permission on the model; an object
outside the user's scope answers 404 (never a hint that it exists).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core.exports import export_start
from dangjian.core.listing import paginate_sorted
from dangjian.core.registries import org_member_counts, org_warnings
from dangjian.core.scope import has_permission
from dangjian.orgs import forms as f
from dangjian.orgs import selectors, services
from dangjian.orgs.models import Department, PartyOrg, Unit


def _require(user: Any, model: type[models.Model], action: str) -> None:
    if not has_permission(user, model, action):
        raise PermissionDenied("您没有访问组织管理的权限。")


def _org_or_404(request: HttpRequest, pk: int, action: str = "view") -> PartyOrg:
    org = selectors.org_get(user=request.user, pk=pk, action=action)
    if org is None:
        raise Http404
    return org


def _unit_or_404(request: HttpRequest, pk: int, action: str = "view") -> Unit:
    unit = selectors.unit_get(user=request.user, pk=pk, action=action)
    if unit is None:
        raise Http404
    return unit


def _decorate(orgs: list[PartyOrg]) -> list[PartyOrg]:
    """Attach member counts and rule warnings to a page of organisations (set-based)."""
    ids = [org.pk for org in orgs]
    counts = org_member_counts(ids)
    warnings = org_warnings(ids)
    for org in orgs:
        org.counts = counts[org.pk]  # type: ignore[attr-defined]
        org.warnings = warnings.get(org.pk, [])  # type: ignore[attr-defined]
    return orgs


def _can_change(user: Any) -> bool:
    return has_permission(user, PartyOrg, "change")


def _done(request: HttpRequest, url: str, message: str) -> HttpResponse:
    messages.success(request, message)
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _form_page(
    request: HttpRequest,
    form: f.StyledForm,
    *,
    title: str,
    breadcrumbs: list[tuple[str, str]],
    submit: str = "保存",
    intro: str = "",
    danger: bool = False,
) -> HttpResponse:
    if form.is_bound:
        form.mark_invalid()
    context = {
        "form": form,
        "cancel_url": breadcrumbs[-1][1] if breadcrumbs else "",
        "page_title": title,
        "breadcrumbs": [*breadcrumbs, (title, "")],
        "submit": submit,
        "intro": intro,
        "danger": danger,
    }
    # an HTMX post with errors gets the form fragment back, errors inline beside the fields
    template = "orgs/form.html#org-form" if getattr(request, "htmx", False) else "orgs/form.html"
    return render(request, template, context)


def _org_crumbs(org: PartyOrg | None = None) -> list[tuple[str, str]]:
    crumbs = [("党组织", reverse("orgs:tree"))]
    if org is not None:
        crumbs.append((org.display_name, reverse("orgs:detail", args=[org.pk])))
    return crumbs


# --- party organisation tree, list, detail --------------------------------------------------


@require_GET
def org_tree(request: HttpRequest) -> HttpResponse:
    _require(request.user, PartyOrg, "view")
    roots = _decorate(list(selectors.with_child_counts(selectors.org_roots(user=request.user))))
    return render(
        request,
        "orgs/tree.html",
        {
            "nodes": roots,
            "page_title": "党组织",
            "breadcrumbs": [("党组织", "")],
            "can_add": has_permission(request.user, PartyOrg, "add"),
        },
    )


@require_GET
def org_tree_children(request: HttpRequest, pk: int) -> HttpResponse:
    org = _org_or_404(request, pk)
    nodes = _decorate(
        list(selectors.with_child_counts(selectors.org_children(user=request.user, org=org)))
    )
    return render(request, "orgs/tree.html#nodes", {"nodes": nodes})


LIST_SORT = {"name": "name", "kind": "kind", "path": "path", "code": "code"}


def _list_filters(request: HttpRequest) -> dict[str, str]:
    return {key: request.GET.get(key, "").strip() for key in ("q", "kind", "active", "warning")}


@require_GET
def org_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, PartyOrg, "view")
    filters = _list_filters(request)
    qs = selectors.org_search(
        user=request.user,
        q=filters["q"],
        kind=filters["kind"],
        active=filters["active"],
        warning=filters["warning"],
    )
    listing = paginate_sorted(request, qs, sortable=LIST_SORT, default_sort="path")
    rows = _decorate(list(listing.object_list))
    context = {
        "listing": listing,
        "rows": rows,
        "filters": filters,
        "kinds": PartyOrg.Kind.choices,
        "page_title": "党组织列表",
        "breadcrumbs": [("党组织", reverse("orgs:tree")), ("列表", "")],
    }
    if getattr(request, "htmx", False) and request.headers.get("HX-Target") == "org-results":
        return render(request, "orgs/list.html#results", context)
    return render(request, "orgs/list.html", context)


@require_POST
def org_export(request: HttpRequest) -> HttpResponse:
    _require(request.user, PartyOrg, "view")
    filters = {key: request.POST.get(key, "").strip() for key in ("q", "kind", "active", "warning")}
    job = export_start(user=request.user, key="orgs.partyorgs", params=filters)
    return render(request, "core/job.html#job-progress", {"job": job})


@require_GET
def org_detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = _org_or_404(request, pk)
    children = list(
        selectors.with_child_counts(
            selectors.org_children(user=request.user, org=org, include_dissolved=True)
        )
    )
    _decorate([org, *children])
    units = list(
        selectors.unit_list(user=request.user)
        .filter(
            pk__in=(org.covered_units if org.kind == PartyOrg.Kind.GROUP else org.units).values(
                "pk"
            )
        )
        .order_by("path")
    )
    history = list(selectors.org_history(user=request.user, org=org))
    full_name = selectors.org_full_names([org])[org.pk]
    can_change = _can_change(request.user) and (
        selectors.org_get(user=request.user, pk=org.pk, action="change") is not None
    )
    return render(
        request,
        "orgs/detail.html",
        {
            "org": org,
            "children": children,
            "units": units,
            "history": history,
            "full_name": full_name,
            "can_change": can_change and org.is_active,
            "can_add": has_permission(request.user, PartyOrg, "add") and org.is_active,
            "page_title": org.display_name,
            "breadcrumbs": [("党组织", reverse("orgs:tree")), (org.display_name, "")],
        },
    )


# --- create, edit, restructure ------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def org_create(request: HttpRequest) -> HttpResponse:
    _require(request.user, PartyOrg, "add")
    initial: dict[str, Any] = {}
    parent_id = request.GET.get("parent", "")
    if parent_id.isdigit():
        parent = selectors.org_get(user=request.user, pk=int(parent_id), action="add")
        if parent is not None:
            initial["parent"] = parent.pk
            child_kind: dict[str, str] = {
                PartyOrg.Kind.COMMITTEE: PartyOrg.Kind.BRANCH,
                PartyOrg.Kind.GENERAL_BRANCH: PartyOrg.Kind.BRANCH,
                PartyOrg.Kind.BRANCH: PartyOrg.Kind.GROUP,
            }
            initial["kind"] = child_kind.get(parent.kind, "")
    form = f.OrgCreateForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.profile()
        try:
            org = services.org_create(
                kind=form.cleaned_data["kind"],
                parent=form.cleaned_data["parent"],
                actor=request.user,
                **data,
            )
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            return _done(request, reverse("orgs:detail", args=[org.pk]), f"已新建{org.name}。")
    return _form_page(request, form, title="新建党组织", breadcrumbs=_org_crumbs())


@require_http_methods(["GET", "POST"])
def org_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user, PartyOrg, "change")
    org = _org_or_404(request, pk, "change")
    initial = {k: getattr(org, k) for k in services.PROFILE_FIELDS}
    form = f.OrgProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            version = int(request.POST.get("version", org.version))
            services.org_update(
                actor=request.user, org=org, data=form.profile(), expected_version=version
            )
        except services.StaleVersion as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            return _done(request, reverse("orgs:detail", args=[org.pk]), "组织信息已保存。")
    form.version = org.version  # type: ignore[attr-defined]
    return _form_page(
        request, form, title=f"编辑：{org.name}", breadcrumbs=_org_crumbs(org), submit="保存"
    )


Runner = Callable[[HttpRequest, PartyOrg, Any], PartyOrg]


def _run_rename(request: HttpRequest, org: PartyOrg, form: Any) -> PartyOrg:
    d = form.cleaned_data
    return services.org_rename(
        actor=request.user,
        org=org,
        new_name=d["new_name"],
        effective_on=d["effective_on"],
        note=d["note"],
    )


def _run_move(request: HttpRequest, org: PartyOrg, form: Any) -> PartyOrg:
    d = form.cleaned_data
    return services.org_move(
        actor=request.user,
        org=org,
        new_parent=d["new_parent"],
        effective_on=d["effective_on"],
        note=d["note"],
    )


def _run_merge(request: HttpRequest, org: PartyOrg, form: Any) -> PartyOrg:
    d = form.cleaned_data
    return services.org_merge(
        actor=request.user,
        source=org,
        target=d["target"],
        effective_on=d["effective_on"],
        note=d["note"],
    )


def _run_split(request: HttpRequest, org: PartyOrg, form: Any) -> PartyOrg:
    d = form.cleaned_data
    return services.org_split(
        actor=request.user,
        source=org,
        new_name=d["new_name"],
        effective_on=d["effective_on"],
        child_ids=form.selected("child_ids"),
        unit_ids=form.selected("unit_ids"),
        person_ids=form.selected("person_ids"),
        note=d["note"],
    )


def _run_dissolve(request: HttpRequest, org: PartyOrg, form: Any) -> PartyOrg:
    d = form.cleaned_data
    return services.org_dissolve(
        actor=request.user,
        org=org,
        effective_on=d["effective_on"],
        target=d.get("target"),
        note=d["note"],
    )


def _run_term(request: HttpRequest, org: PartyOrg, form: Any) -> PartyOrg:
    d = form.cleaned_data
    return services.org_term_change(
        actor=request.user,
        org=org,
        term_started_on=d["term_started_on"],
        term_ends_on=d["term_ends_on"],
        has_committee=d["has_committee"],
        note=d["note"],
    )


# action: (title, form class, needs user/org, runner, intro, dangerous)
RESTRUCTURE: dict[str, tuple[str, type[f.StyledForm], bool, Runner, str, bool]] = {
    "rename": (
        "更名",
        f.RenameForm,
        False,
        _run_rename,
        "生效日期之前的记录仍显示原名称。",
        False,
    ),
    "move": (
        "调整隶属",
        f.MoveForm,
        True,
        _run_move,
        "整个下级组织树随之调整；党小组调整时其党员随党小组转入新支部。",
        False,
    ),
    "merge": (
        "合并",
        f.MergeForm,
        True,
        _run_merge,
        "本组织的下级组织、行政单位和人员全部转入并入组织，本组织随即撤销。",
        True,
    ),
    "split": (
        "拆分",
        f.SplitForm,
        True,
        _run_split,
        "在同一上级组织下新建组织，划出所选下级组织、单位和人员。",
        False,
    ),
    "dissolve": (
        "撤销",
        f.DissolveForm,
        True,
        _run_dissolve,
        "撤销后组织仍保留在历史记录中，显示为“（已撤销）”。",
        True,
    ),
    "term": (
        "换届",
        f.TermForm,
        False,
        _run_term,
        "记录新一届任期，任期届满前按规则提醒。",
        False,
    ),
}


@require_http_methods(["GET", "POST"])
def org_restructure(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in RESTRUCTURE:
        raise Http404
    _require(request.user, PartyOrg, "change")
    org = _org_or_404(request, pk, "change")
    title, form_class, contextual, runner, intro, danger = RESTRUCTURE[action]
    kwargs: dict[str, Any] = {"user": request.user, "org": org} if contextual else {}
    initial: dict[str, Any] = {}
    if action == "term":
        initial["has_committee"] = org.has_committee
    form = form_class(request.POST or None, initial=initial, **kwargs)
    if request.method == "POST" and form.is_valid():
        try:
            result = runner(request, org, form)
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            target = result if action in ("merge", "split") else org
            return _done(
                request,
                reverse("orgs:detail", args=[target.pk]),
                f"{title}已完成：{org.name}。",
            )
    return _form_page(
        request,
        form,
        title=f"{title}：{org.display_name}",
        breadcrumbs=_org_crumbs(org),
        submit=f"确认{title}",
        intro=intro,
        danger=danger,
    )


# --- picker -------------------------------------------------------------------------------


@require_GET
def org_picker(request: HttpRequest) -> HttpResponse:
    """Scoped matches for the org-tree picker (name search, full path shown)."""
    q = request.GET.get("picker_q", request.GET.get("q", ""))[:60]
    matches = selectors.org_picker_matches(
        user=request.user,
        q=q,
        kind=request.GET.get("kind", ""),
        within=_picker_within(request),
    )
    return render(request, "orgs/_org_picker.html#results", {"matches": matches, "q": q})


def _picker_within(request: HttpRequest) -> int | None:
    """The organisation a dependent picker is narrowed to (the form's ``party_org`` field)."""
    raw = request.GET.get("party_org", "").strip()
    return int(raw) if raw.isdigit() and len(raw) <= 9 else None


@require_GET
def unit_picker(request: HttpRequest) -> HttpResponse:
    """Scoped matches for the unit picker (name search, full path shown), optionally only the
    units of the chosen party organisation's subtree."""
    q = request.GET.get("picker_q", request.GET.get("q", ""))[:60]
    matches = selectors.unit_picker_matches(user=request.user, q=q, within=_picker_within(request))
    return render(
        request, "orgs/_org_picker.html#results", {"matches": matches, "q": q, "units": True}
    )


# --- units --------------------------------------------------------------------------------


@require_GET
def unit_tree(request: HttpRequest) -> HttpResponse:
    _require(request.user, Unit, "view")
    roots = list(selectors.with_unit_child_counts(selectors.unit_roots(user=request.user)))
    return render(
        request,
        "orgs/unit_tree.html",
        {
            "nodes": roots,
            "page_title": "行政单位",
            "breadcrumbs": [("行政单位", "")],
            "can_add": has_permission(request.user, Unit, "add"),
        },
    )


@require_GET
def unit_tree_children(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _unit_or_404(request, pk)
    nodes = list(
        selectors.with_unit_child_counts(selectors.unit_children(user=request.user, unit=unit))
    )
    return render(request, "orgs/unit_tree.html#nodes", {"nodes": nodes})


UNIT_SORT = {"name": "name", "kind": "kind", "path": "path"}


@require_GET
def unit_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, Unit, "view")
    filters = {key: request.GET.get(key, "").strip() for key in ("q", "kind", "party_org")}
    party_org = int(filters["party_org"]) if filters["party_org"].isdigit() else None
    picked = None
    if party_org:
        picked = selectors.org_get(user=request.user, pk=party_org)
        if picked is None:
            party_org = -1  # not in scope: nothing
    qs = selectors.unit_search(
        user=request.user, q=filters["q"], kind=filters["kind"], party_org=party_org
    )
    listing = paginate_sorted(request, qs, sortable=UNIT_SORT, default_sort="path")
    context = {
        "listing": listing,
        "filters": filters,
        "picked": picked,
        "picked_label": selectors.org_full_names([picked])[picked.pk] if picked else "",
        "kinds": Unit.Kind.choices,
        "page_title": "行政单位列表",
        "breadcrumbs": [("行政单位", reverse("orgs:unit_tree")), ("列表", "")],
        "can_add": has_permission(request.user, Unit, "add"),
    }
    return render(request, "orgs/unit_list.html", context)


@require_GET
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _unit_or_404(request, pk)
    children = list(selectors.unit_children(user=request.user, unit=unit))
    groups = list(selectors.org_list(user=request.user).filter(covered_units=unit))
    can_change = (
        has_permission(request.user, Unit, "change")
        and selectors.unit_get(user=request.user, pk=unit.pk, action="change") is not None
    )
    return render(
        request,
        "orgs/unit_detail.html",
        {
            "unit": unit,
            "children": children,
            "groups": groups,
            "can_change": can_change,
            "page_title": unit.display_name,
            "breadcrumbs": [("行政单位", reverse("orgs:unit_tree")), (unit.display_name, "")],
        },
    )


@require_http_methods(["GET", "POST"])
def unit_create(request: HttpRequest) -> HttpResponse:
    _require(request.user, Unit, "add")
    initial: dict[str, Any] = {}
    parent_id = request.GET.get("parent", "")
    if parent_id.isdigit():
        parent = selectors.unit_get(user=request.user, pk=int(parent_id))
        if parent is not None:
            initial.update(parent=parent.pk, party_org=parent.party_org_id)
    form = f.UnitForm(request.POST or None, user=request.user, action="add", initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.unit_data()
        try:
            unit = services.unit_create(
                name=data.pop("name"),
                kind=data.pop("kind"),
                parent=data.pop("parent"),
                actor=request.user,
                **data,
            )
        except ValidationError as exc:
            form.apply_errors(exc)
        except PermissionDenied:
            form.add_error("party_org", "负责党组织超出您的数据权限范围。")
        else:
            return _done(request, reverse("orgs:unit_detail", args=[unit.pk]), "单位已新建。")
    return _form_page(
        request,
        form,
        title="新建行政单位",
        breadcrumbs=[("行政单位", reverse("orgs:unit_tree"))],
    )


@require_http_methods(["GET", "POST"])
def unit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user, Unit, "change")
    unit = _unit_or_404(request, pk, "change")
    initial = {k: getattr(unit, k) for k in ("name", "kind", "is_production", "sort_order")}
    initial.update(parent=unit.parent_id, party_org=unit.party_org_id)
    form = f.UnitForm(request.POST or None, user=request.user, action="change", initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_update(actor=request.user, unit=unit, data=form.unit_data())
        except ValidationError as exc:
            form.apply_errors(exc)
        except PermissionDenied:
            form.add_error(None, "修改后的单位超出您的数据权限范围。")
        else:
            return _done(request, reverse("orgs:unit_detail", args=[unit.pk]), "单位已保存。")
    return _form_page(
        request,
        form,
        title=f"编辑：{unit.name}",
        breadcrumbs=[
            ("行政单位", reverse("orgs:unit_tree")),
            (unit.name, reverse("orgs:unit_detail", args=[unit.pk])),
        ],
    )


# --- departments --------------------------------------------------------------------------


@require_GET
def department_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, Department, "view")
    departments = list(selectors.department_list(user=request.user))
    return render(
        request,
        "orgs/department_list.html",
        {
            "departments": departments,
            "page_title": "政工部门",
            "breadcrumbs": [("政工部门", "")],
        },
    )
