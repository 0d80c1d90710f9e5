"""Person create/edit form: explicit fields (IN-04), choices only from scoped querysets.

The form only parses input; ``dangjian.people.services.person_clean`` is the one place that
validates a person (and is what the HTMX inline check calls). Sealed fields (citizen ID,
phone, address) are never pre-filled with plaintext: on edit a blank input means "unchanged".
"""

from __future__ import annotations

import json
from typing import Any

from django import forms

from dangjian.orgs.models import PartyOrg, Unit
from dangjian.orgs.selectors import org_list, unit_list
from dangjian.people.models import Education, Gender, MembershipStatus, PoliticalStatus
from dangjian.people.services import PLAIN_FIELDS, SEALED_FIELDS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

# Form order: the 16 national member fields first, then employment fields.
FIELD_ORDER = (
    "employee_no",
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "citizen_id",
    "education",
    "political_status",
    "party_org",
    "party_group",
    "joined_party_on",
    "regularised_on",
    "post",
    "phone",
    "address",
    "membership_status",
    "lost_contact",
    "lost_contact_on",
    "is_mobile",
    "mobile_destination",
    "unit",
    "is_front_line",
    "is_employed",
)


class OrgChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{'　' * obj.depth}{obj.name}"


class PersonForm(forms.Form):
    employee_no = forms.CharField(label="工号", max_length=32)
    name = forms.CharField(label="姓名", max_length=40)
    gender = forms.ChoiceField(label="性别", choices=Gender.choices)
    ethnicity = forms.CharField(label="民族", max_length=20, initial="汉族")
    birth_date = forms.DateField(label="出生日期", widget=DATE)
    citizen_id = forms.CharField(
        label="身份证号",
        max_length=18,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    education = forms.ChoiceField(
        label="学历", choices=[("", "—"), *Education.choices], required=False
    )
    political_status = forms.ChoiceField(
        label="政治面貌", choices=PoliticalStatus.choices, initial=PoliticalStatus.MASSES
    )
    party_org = OrgChoiceField(
        label="所在党组织",
        queryset=PartyOrg.objects.none(),
        required=False,
        help_text="留空则按所在单位的负责党组织。",
    )
    party_group = OrgChoiceField(
        label="所在党小组", queryset=PartyOrg.objects.none(), required=False
    )
    joined_party_on = forms.DateField(label="入党日期", widget=DATE, required=False)
    regularised_on = forms.DateField(label="转正日期", widget=DATE, required=False)
    post = forms.CharField(label="岗位/职务", max_length=60, required=False)
    phone = forms.CharField(
        label="手机号码",
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    address = forms.CharField(
        label="家庭住址",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    membership_status = forms.ChoiceField(
        label="党籍状态", choices=MembershipStatus.choices, initial=MembershipStatus.NORMAL
    )
    lost_contact = forms.BooleanField(label="失去联系", required=False)
    lost_contact_on = forms.DateField(label="失联日期", widget=DATE, required=False)
    is_mobile = forms.BooleanField(label="流动党员", required=False)
    mobile_destination = forms.CharField(label="外出流向", max_length=120, required=False)
    unit = OrgChoiceField(label="单位/班队", queryset=Unit.objects.none())
    is_front_line = forms.BooleanField(label="一线职工", required=False)
    is_employed = forms.BooleanField(label="在职", required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        user: Any,
        editing: bool = False,
        validate_url: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing
        orgs = org_list(user=user).filter(dissolved_on__isnull=True).order_by("path")
        self.fields["party_org"].queryset = orgs.exclude(kind=PartyOrg.Kind.GROUP)  # type: ignore[attr-defined]
        self.fields["party_group"].queryset = orgs.filter(kind=PartyOrg.Kind.GROUP)  # type: ignore[attr-defined]
        self.fields["unit"].queryset = (  # type: ignore[attr-defined]
            unit_list(user=user).filter(dissolved_on__isnull=True).order_by("path")
        )
        if editing:
            for name in SEALED_FIELDS:
                self.fields[name].widget.attrs["placeholder"] = "已加密保存，留空表示不修改"
        else:
            self.fields["citizen_id"].required = True
        for name, field in self.fields.items():
            attrs = field.widget.attrs
            attrs["id"] = f"id_{name}"
            if name == "version":
                continue
            attrs["aria-describedby"] = f"err-{name}"
            if validate_url:  # HTMX inline validation of this one field on change
                attrs.update(
                    {
                        "hx-post": validate_url,
                        "hx-trigger": "change",
                        "hx-target": f"#err-{name}",
                        "hx-swap": "innerHTML",
                        "hx-include": "closest form",
                        "hx-vals": json.dumps({"_field": name}),
                        "hx-sync": "closest form:abort",
                    }
                )
            css = "form-check-input" if isinstance(field, forms.BooleanField) else "form-control"
            if isinstance(field, forms.ChoiceField):
                css = "form-select"
            attrs["class"] = css

    def service_data(self, *, partial: bool = False) -> dict[str, Any]:
        """The cleaned values as the services expect them (blank sealed = unchanged on edit)."""
        data: dict[str, Any] = {}
        source = self.cleaned_data
        for name in PLAIN_FIELDS:
            if name not in source:
                continue
            value = source[name]
            if name in ("education", "mobile_destination", "post") and value is None:
                value = ""
            data[name] = value
        for name in SEALED_FIELDS:
            value = (source.get(name) or "").strip()
            if self.editing and not value:
                continue  # keep the stored value
            if value or not partial:
                data[name] = value
        return data

    def ordered_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in FIELD_ORDER]
