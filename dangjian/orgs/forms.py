"""Forms of the organisation pages: parse input only; the services validate and write.

Every choice list comes from a scoped selector for the requesting user (form choices are one
of the places the scope filter must reach).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import timezone

from dangjian.core.scope import has_permission, restrict
from dangjian.orgs.models import PartyOrg, Unit
from dangjian.orgs.selectors import org_list, unit_list
from dangjian.orgs.services import ALLOWED_PARENTS, PROFILE_FIELDS


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class StyledForm(forms.Form):
    """Bootstrap classes on every widget, so templates render fields generically."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs.setdefault("class", css)

    def choices(self, name: str, queryset: Any) -> None:
        """Set a model choice field's (scoped) queryset."""
        field = self.fields[name]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = queryset

    def mark_invalid(self) -> None:
        """Bootstrap's ``is-invalid`` on fields with errors, so the errors show inline."""
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()

    def apply_errors(self, exc: ValidationError) -> None:
        """Put a service's field errors next to the matching fields (inline validation)."""
        if hasattr(exc, "error_dict"):
            for field, messages in exc.message_dict.items():
                target = field if field in self.fields else None
                for message in messages:
                    self.add_error(target, message)
        else:
            for message in exc.messages:
                self.add_error(None, message)


def _org_label(org: PartyOrg) -> str:
    return f"{'　' * org.depth}{org.name}（{org.get_kind_display()}）"


class OrgChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return _org_label(obj)


class OrgMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return _org_label(obj)


def today() -> dt.date:
    return timezone.localdate()


class OrgProfileForm(StyledForm):
    name = forms.CharField(label="组织名称", max_length=120)
    code = forms.CharField(label="组织代码", max_length=40, required=False)
    category = forms.CharField(label="党组织类别", max_length=60, required=False)
    unit_situation = forms.CharField(label="单位建立党组织情况", max_length=120, required=False)
    secretary_name = forms.CharField(label="书记", max_length=40, required=False)
    contact_name = forms.CharField(label="联系人", max_length=40, required=False)
    contact_phone = forms.CharField(label="联系电话", max_length=40, required=False)
    established_on = forms.DateField(label="成立日期", required=False, widget=DateInput())
    has_committee = forms.BooleanField(label="设支部委员会", required=False)
    term_started_on = forms.DateField(label="本届任期开始", required=False, widget=DateInput())
    term_ends_on = forms.DateField(label="本届任期届满", required=False, widget=DateInput())

    def profile(self) -> dict[str, Any]:
        data = {k: self.cleaned_data[k] for k in PROFILE_FIELDS}
        for key in ("code", "category", "unit_situation", "secretary_name"):
            data[key] = data[key] or ""
        return data


class OrgCreateForm(OrgProfileForm):
    field_order = ["kind", "parent", "name"]

    kind = forms.ChoiceField(label="组织类型", choices=PartyOrg.Kind.choices)
    parent = OrgChoiceField(label="上级组织", queryset=PartyOrg.objects.none(), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choices(
            "parent",
            (
                org_list(user=user, action="add")
                .filter(dissolved_on__isnull=True)
                .exclude(kind=PartyOrg.Kind.GROUP)
            ),
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind, parent = cleaned.get("kind"), cleaned.get("parent")
        allowed = ALLOWED_PARENTS.get(PartyOrg.Kind(kind), set()) if kind else set()
        if kind and (parent.kind if parent else None) not in allowed:
            self.add_error("parent", "所选上级组织不能设立该类型的组织。")
        return cleaned


class RenameForm(StyledForm):
    new_name = forms.CharField(label="新名称", max_length=120)
    effective_on = forms.DateField(label="生效日期", initial=today, widget=DateInput())
    note = forms.CharField(label="依据/说明", required=False, widget=forms.Textarea({"rows": 2}))


class MoveForm(StyledForm):
    new_parent = OrgChoiceField(label="新上级组织", queryset=PartyOrg.objects.none())
    effective_on = forms.DateField(label="生效日期", initial=today, widget=DateInput())
    note = forms.CharField(label="依据/说明", required=False, widget=forms.Textarea({"rows": 2}))

    def __init__(self, *args: Any, user: Any, org: PartyOrg, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = [k for k in ALLOWED_PARENTS.get(PartyOrg.Kind(org.kind), set()) if k]
        self.choices(
            "new_parent",
            (
                org_list(user=user, action="change")
                .filter(dissolved_on__isnull=True, kind__in=allowed)
                .exclude(path__startswith=org.path)
                .exclude(pk=org.parent_id or 0)
            ),
        )


class MergeForm(StyledForm):
    target = OrgChoiceField(label="并入组织", queryset=PartyOrg.objects.none())
    effective_on = forms.DateField(label="生效日期", initial=today, widget=DateInput())
    note = forms.CharField(label="依据/说明", required=False, widget=forms.Textarea({"rows": 2}))

    def __init__(self, *args: Any, user: Any, org: PartyOrg, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choices(
            "target",
            (
                org_list(user=user, action="change")
                .filter(dissolved_on__isnull=True, kind=org.kind)
                .exclude(path__startswith=org.path)
            ),
        )


class DissolveForm(MergeForm):
    field_order = ["effective_on", "target", "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].required = False
        self.fields["target"].label = "接收组织（仍有下级组织或人员时必选）"


class SplitForm(StyledForm):
    new_name = forms.CharField(label="新组织名称", max_length=120)
    child_ids = OrgMultipleChoiceField(
        label="划出的下级组织", queryset=PartyOrg.objects.none(), required=False
    )
    unit_ids = forms.ModelMultipleChoiceField(
        label="划出的行政单位", queryset=Unit.objects.none(), required=False
    )
    person_ids = forms.ModelMultipleChoiceField(
        label="划出的人员（党小组的人员随党小组划出）", queryset=Unit.objects.none(), required=False
    )
    effective_on = forms.DateField(label="生效日期", initial=today, widget=DateInput())
    note = forms.CharField(label="依据/说明", required=False, widget=forms.Textarea({"rows": 2}))

    def __init__(self, *args: Any, user: Any, org: PartyOrg, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choices("child_ids", org_list(user=user).filter(parent=org, dissolved_on__isnull=True))
        units = org.covered_units.all() if org.kind == PartyOrg.Kind.GROUP else org.units.all()
        self.choices("unit_ids", unit_list(user=user).filter(pk__in=units.values("pk")))
        # Persons belong to the people app: looked up by name, through the scope filter, and
        # only offered to users who may change persons (the system admin sees no person data).
        person_model = apps.get_model("people", "Person")
        if has_permission(user, person_model, "change"):
            self.choices(
                "person_ids",
                restrict(
                    person_model.objects.filter(party_org=org, party_group__isnull=True),
                    user,
                    "change",
                ).order_by("name"),
            )
        else:
            del self.fields["person_ids"]

    def selected(self, name: str) -> list[int]:
        if name not in self.cleaned_data:
            return []
        return [obj.pk for obj in self.cleaned_data[name]]


class TermForm(StyledForm):
    term_started_on = forms.DateField(label="本届任期开始", initial=today, widget=DateInput())
    term_ends_on = forms.DateField(
        label="本届任期届满（留空按规定任期计算）", required=False, widget=DateInput()
    )
    has_committee = forms.BooleanField(label="设支部委员会", required=False)
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea({"rows": 2}))


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{'　' * obj.depth}{obj.name}（{obj.get_kind_display()}）"


class UnitForm(StyledForm):
    name = forms.CharField(label="单位名称", max_length=120)
    kind = forms.ChoiceField(label="单位类型", choices=Unit.Kind.choices)
    parent = UnitChoiceField(label="上级单位", queryset=Unit.objects.none(), required=False)
    party_org = OrgChoiceField(label="负责党组织", queryset=PartyOrg.objects.none(), required=False)
    is_production = forms.BooleanField(label="生产单位", required=False)
    sort_order = forms.IntegerField(label="排序", min_value=0, initial=0, required=False)

    def __init__(self, *args: Any, user: Any, action: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choices(
            "parent",
            (
                unit_list(user=user, action=action)
                .filter(dissolved_on__isnull=True)
                .exclude(kind=Unit.Kind.TEAM)
            ),
        )
        self.choices(
            "party_org", org_list(user=user, action="view").filter(dissolved_on__isnull=True)
        )

    def unit_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["sort_order"] = data.get("sort_order") or 0
        return data
