"""Person list, detail, create, edit, reveal (records).

Views only parse input, call a selector or service, and render. Who may open a page: the
permission anywhere (``has_permission``) else 403; the object through the scoped selector
else 404, so an out-of-scope person is indistinguishable from a missing one.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core.identity import mask_citizen_id, mask_phone
from dangjian.core.listing import paginate_sorted
from dangjian.core.routes import route
from dangjian.core.scope import has_permission
from dangjian.orgs.models import PartyOrg, Unit
from dangjian.people import selectors, services
from dangjian.people.exporting import SealedReader
from dangjian.people.forms import PersonForm
from dangjian.people.models import (
    Education,
    Gender,
    MembershipStatus,
    Person,
    PoliticalStatus,
)

SORTABLE = {
    "employee_no": "employee_no",
    "name": "name",
    "gender": "gender",
    "birth_date": "birth_date",
    "political_status": "political_status",
    "party_org": "party_org__path",
    "unit": "unit__path",
    "regularised_on": "regularised_on",
}
REVEAL_FIELDS = {"citizen_id": "身份证号", "phone": "手机号码", "address": "家庭住址"}


def _require(user: Any, action: str) -> None:
    if not has_permission(user, Person, action):
        raise PermissionDenied("您没有访问人员信息的权限。")


def _person_or_404(user: Any, pk: int, action: str = "view", names_only: bool = False) -> Person:
    person = selectors.person_get(user=user, pk=pk, action=action, names_only=names_only)
    if person is None:
        raise Http404
    return person


def _optional_url(name: str) -> str:
    """URL of a route another engineer owns, or "" while it does not exist yet."""
    try:
        return route(name)
    except NoReverseMatch:
        return ""


# Columns the list shows, read as plain values (no model instances for a list page).
LIST_COLUMNS = (
    "pk",
    "uid",  # bound into the sealed values' AAD
    "employee_no",
    "name",
    "gender",
    "birth_date",
    "political_status",
    "post",
    "membership_status",
    "lost_contact",
    "is_mobile",
    "is_front_line",
    "citizen_id_sealed",
    "phone_sealed",
    "party_org__name",
    "party_group__name",
    "unit__name",
)
POLITICAL_FILTER_CHOICES = [("party_member", "党员（含预备）"), *PoliticalStatus.choices]
URL_SENTINEL = "987654321"  # reversed once per page, replaced by each row's pk
_GENDER = dict(Gender.choices)
_POLITICAL = dict(PoliticalStatus.choices)
_MEMBERSHIP = dict(MembershipStatus.choices)


def person_row(values: tuple[Any, ...], detail_url: str, sealed: SealedReader) -> dict[str, Any]:
    """One list row (``LIST_COLUMNS`` values) as display strings: identifiers decrypted server
    side (the model's AAD check), then masked (PI-03); a dict, so the template reads each cell
    with one lookup."""
    (
        pk,
        uid,
        employee_no,
        name,
        gender,
        birth_date,
        political_status,
        post,
        membership_status,
        lost_contact,
        is_mobile,
        is_front_line,
        citizen_id_sealed,
        phone_sealed,
        party_org,
        party_group,
        unit,
    ) = values
    return {
        "pk": pk,
        "url": detail_url.replace(URL_SENTINEL, str(pk), 1),
        "employee_no": employee_no,
        "name": name,
        "gender": _GENDER.get(gender, gender),
        "birth_date": birth_date.isoformat() if birth_date else "",
        "political_status": _POLITICAL.get(political_status, political_status),
        "party_org": party_org,
        "party_group": party_group or "",
        "unit": unit,
        "post": post or "—",
        "citizen_id": mask_citizen_id(sealed.open(citizen_id_sealed, uid, "citizen_id")),
        "phone": mask_phone(sealed.open(phone_sealed, uid, "phone")) or "—",
        "membership": ""
        if membership_status == "normal"
        else _MEMBERSHIP.get(membership_status, membership_status),
        "lost_contact": lost_contact,
        "is_mobile": is_mobile,
        "is_front_line": is_front_line,
    }


@require_GET
def person_list_view(request: HttpRequest) -> HttpResponse:
    _require(request.user, "view")
    filters = selectors.person_filters(request.GET)
    chosen = selectors.chosen_nodes(user=request.user, filters=filters)
    # a chosen node out of scope stays an id: its subtree within the user's scope is empty
    query = {**filters, **{k: chosen[k] for k in ("party_org", "unit") if k in chosen}}
    qs = selectors.person_list_prepared(user=request.user, **query)
    listing = paginate_sorted(request, qs, sortable=SORTABLE, default_sort="employee_no")
    detail_url = reverse("people:detail", args=[URL_SENTINEL])
    sealed = SealedReader()
    rows = [
        person_row(values, detail_url, sealed)
        for values in listing.object_list.values_list(*LIST_COLUMNS)
    ]
    context = {
        "page_title": "人员名册",
        "breadcrumbs": [("人员管理", None), ("人员名册", None)],
        "listing": listing,
        "rows": rows,
        # every filter present (None when not set): the form's lookups never miss, which
        # costs Django's template engine an exception and a dir() each
        "filters": {**dict.fromkeys(selectors.FILTER_PARAMS), **filters},
        "can_add": has_permission(request.user, Person, "add"),
        "export_url": _optional_url("people:export")
        if has_permission(request.user, Person, "export")
        else "",
        "import_url": _optional_url("people:import")
        if has_permission(request.user, Person, "import")
        else "",
    }
    if request.htmx and request.htmx.target == "person-table":  # type: ignore[attr-defined]
        return render(request, "people/person_list.html#person-table", context)
    # Organisation, party group and unit are chosen with the orgs app's tree pickers, which
    # search on demand: at 50,000 organisations the page itself lists none of them.
    context.update(
        {
            "may_pick_org": has_permission(request.user, PartyOrg, "view"),
            "may_pick_unit": has_permission(request.user, Unit, "view"),
            "org_label": chosen["party_org"].name if "party_org" in chosen else "",
            "group_label": chosen["party_group"].name if "party_group" in chosen else "",
            "unit_label": chosen["unit"].name if "unit" in chosen else "",
            "political_choices": POLITICAL_FILTER_CHOICES,
            "gender_choices": Gender.choices,
            "education_choices": Education.choices,
            "membership_choices": MembershipStatus.choices,
        }
    )
    return render(request, "people/person_list.html", context)


@require_GET
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user, "view")
    person = _person_or_404(request.user, pk, names_only=True)
    can_reveal = selectors.can_reveal(request.user)
    context = {
        "page_title": person.name,
        "breadcrumbs": [
            ("人员管理", None),
            ("人员名册", route("people:list")),
            (person.name, None),
        ],
        "person": person,
        "masked": selectors.person_identifiers(person),
        "can_reveal": can_reveal,
        "can_change": selectors.person_may(user=request.user, person=person, action="change"),
        "history": selectors.person_history_display(user=request.user, person=person),
        "reveal_fields": REVEAL_FIELDS,
    }
    return render(request, "people/person_detail.html", context)


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store, max-age=0"
    response["Pragma"] = "no-cache"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def person_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the reason form (modal body). POST: the plaintext once, audited with the reason."""
    _require(request.user, "view")
    person = _person_or_404(request.user, pk)
    field = request.POST.get("field") or request.GET.get("field") or "citizen_id"
    if field not in REVEAL_FIELDS:
        raise Http404
    if not selectors.can_reveal(request.user) and request.method == "GET":
        raise PermissionDenied("您没有查看明文信息的权限。")
    context: dict[str, Any] = {"person": person, "field": field, "label": REVEAL_FIELDS[field]}
    if request.method == "GET":
        return _no_store(render(request, "people/person_reveal.html#reveal-form", context))
    reason = request.POST.get("reason", "")
    try:
        value = services.person_reveal(
            actor=request.user, person_id=person.pk, field=field, reason=reason
        )
    except ValidationError as exc:
        if not selectors.can_reveal(request.user):
            raise PermissionDenied("您没有查看明文信息的权限。") from exc
        context["errors"] = exc.message_dict.get("reason") or exc.messages
        context["reason"] = reason
        response = render(request, "people/person_reveal.html#reveal-form", context, status=400)
        return _no_store(response)
    context["value"] = value
    return _no_store(render(request, "people/person_reveal.html#reveal-value", context))


def _apply_errors(form: PersonForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            target = name if name in form.fields else None
            for message in errors:
                form.add_error(target, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def _form_page(
    request: HttpRequest,
    form: PersonForm,
    *,
    person: Person | None,
    status: int = 200,
) -> HttpResponse:
    title = f"编辑人员：{person.name}" if person else "新增人员"
    crumbs: list[tuple[str, str | None]] = [
        ("人员管理", None),
        ("人员名册", reverse("people:list")),
    ]
    if person:
        crumbs.append((person.name, reverse("people:detail", args=[person.pk])))
    crumbs.append(("编辑" if person else "新增", None))
    context = {
        "page_title": title,
        "breadcrumbs": crumbs,
        "form": form,
        "person": person,
        "masked": selectors.person_identifiers(person) if person else None,
    }
    return render(request, "people/person_form.html", context, status=status)


def _validate_url(person: Person | None) -> str:
    url = reverse("people:validate")
    return f"{url}?person={person.pk}" if person else url


@require_http_methods(["GET", "POST"])
def person_create(request: HttpRequest) -> HttpResponse:
    _require(request.user, "add")
    form = PersonForm(request.POST or None, user=request.user, validate_url=_validate_url(None))
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_create(actor=request.user, data=form.service_data())
        except ValidationError as exc:
            _apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or "该操作超出您的数据权限范围。")
            return _form_page(request, form, person=None, status=403)
        else:
            messages.success(request, f"已新增人员 {person.name}。")
            return redirect("people:detail", pk=person.pk)
    status = 400 if request.method == "POST" else 200
    return _form_page(request, form, person=None, status=status)


STALE_MESSAGE = (
    "该人员信息已被他人修改，页面已载入最新版本号；请核对后再次保存（您填写的内容已保留）。"
)


@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user, "change")
    person = _person_or_404(request.user, pk, action="change")
    initial = {name: getattr(person, name) for name in services.PLAIN_FIELDS}
    initial["version"] = person.version
    validate_url = _validate_url(person)
    if request.method == "GET":
        form = PersonForm(
            initial=initial, user=request.user, editing=True, validate_url=validate_url
        )
        return _form_page(request, form, person=person)
    form = PersonForm(
        request.POST, initial=initial, user=request.user, editing=True, validate_url=validate_url
    )
    if form.is_valid():
        try:
            services.person_update(
                actor=request.user,
                person=person,
                data=form.service_data(),
                expected_version=form.cleaned_data.get("version"),
            )
        except services.StaleVersion:
            data = request.POST.copy()
            fresh = selectors.person_get(user=request.user, pk=pk, action="change")
            data["version"] = str(fresh.version if fresh else person.version)
            form = PersonForm(
                data, initial=initial, user=request.user, editing=True, validate_url=validate_url
            )
            form.is_valid()
            form.add_error(None, STALE_MESSAGE)
            return _form_page(request, form, person=fresh or person, status=409)
        except ValidationError as exc:
            _apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or "该操作超出您的数据权限范围。")
            return _form_page(request, form, person=person, status=403)
        else:
            messages.success(request, f"已保存 {person.name} 的信息。")
            return redirect("people:detail", pk=person.pk)
    return _form_page(request, form, person=person, status=400)


@require_POST
def person_validate(request: HttpRequest) -> HttpResponse:
    """HTMX inline validation: the Chinese message(s) for one field, from ``person_clean``."""
    if not (
        has_permission(request.user, Person, "add")
        or has_permission(request.user, Person, "change")
    ):
        raise PermissionDenied
    field = request.POST.get("_field", "")
    person = None
    person_id = request.GET.get("person", "")
    if person_id:
        if not person_id.isdigit():
            raise Http404
        person = _person_or_404(request.user, int(person_id), action="change")
    form = PersonForm(request.POST, user=request.user, editing=person is not None)
    if field not in form.fields:
        return HttpResponse("")
    form.is_valid()
    errors: list[str] = [str(e) for e in form.errors.get(field, [])]
    if not errors:
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        data.update(form.service_data(partial=True))
        if person is not None:
            for name in services.SEALED_FIELDS:
                if name not in data or not data[name]:
                    data[name] = getattr(person, name)
        try:
            services.person_clean(data, instance=person)
        except ValidationError as exc:
            errors = exc.message_dict.get(field, []) if hasattr(exc, "error_dict") else []
    return render(request, "people/person_form.html#field-errors", {"errors": errors})
