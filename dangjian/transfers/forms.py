"""Forms of the transfer pages: parse input only; the services validate and write. Choice
lists come from scoped selectors (members the user may change; receiving organisations)."""

from __future__ import annotations

from typing import Any

from django import forms

from dangjian.orgs.forms import DateInput, OrgChoiceField, StyledForm
from dangjian.orgs.models import PartyOrg
from dangjian.people.models import PARTY_MEMBER_STATUSES, Person


def _members(user: Any, action: str) -> Any:
    from dangjian.core.scope import restrict

    return (
        restrict(Person.objects.all(), user, action)
        .filter(political_status__in=PARTY_MEMBER_STATUSES)
        .order_by("name", "pk")
    )


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}（{obj.employee_no}）"


class StartForm(StyledForm):
    person = PersonChoiceField(label="党员", queryset=Person.objects.none())
    to_org = OrgChoiceField(label="接收党组织", queryset=PartyOrg.objects.none())
    to_group = OrgChoiceField(label="编入党小组", queryset=PartyOrg.objects.none(), required=False)
    reason = forms.CharField(label="转接原因", max_length=200, required=False)
    paid_up_to = forms.DateField(
        label="党费交至（月份任一天）",
        required=False,
        widget=DateInput(),
        help_text="党费模块有记录时自动取用。",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choices("person", _members(user, "change"))
        active = PartyOrg.objects.filter(dissolved_on__isnull=True).order_by("path")
        # receiving organisations anywhere in the system (names only, like a directory)
        self.choices("to_org", active.exclude(kind=PartyOrg.Kind.GROUP))
        self.choices("to_group", active.filter(kind=PartyOrg.Kind.GROUP))


class LetterForm(StyledForm):
    person = PersonChoiceField(label="党员", queryset=Person.objects.none())
    external_org = forms.CharField(label="接收党组织（系统外）", max_length=200)
    cross_province = forms.BooleanField(label="跨省转接（有效期较长）", required=False)
    reason = forms.CharField(label="转接原因", max_length=200, required=False)
    paid_up_to = forms.DateField(label="党费交至（月份任一天）", required=False, widget=DateInput())
    issued_on = forms.DateField(label="开具日期", required=False, widget=DateInput())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choices("person", _members(user, "change"))


class IncomingForm(StyledForm):
    person = PersonChoiceField(label="党员（须已在人员名册登记）", queryset=Person.objects.none())
    to_org = OrgChoiceField(label="接收党组织", queryset=PartyOrg.objects.none())
    to_group = OrgChoiceField(label="编入党小组", queryset=PartyOrg.objects.none(), required=False)
    external_org = forms.CharField(label="转出党组织（系统外）", max_length=200)
    letter_no = forms.CharField(label="介绍信编号", max_length=40)
    issued_on = forms.DateField(label="介绍信开具日期", required=False, widget=DateInput())
    paid_up_to = forms.DateField(label="党费交至（月份任一天）", widget=DateInput())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from dangjian.core.scope import restrict

        self.choices("person", _members(user, "view"))
        orgs = restrict(PartyOrg.objects.all(), user, "view").filter(dissolved_on__isnull=True)
        self.choices("to_org", orgs.exclude(kind=PartyOrg.Kind.GROUP).order_by("path"))
        self.choices("to_group", orgs.filter(kind=PartyOrg.Kind.GROUP).order_by("path"))


class RejectForm(StyledForm):
    reason = forms.CharField(label="退回原因", max_length=200)


class AcceptForm(StyledForm):
    to_group = OrgChoiceField(label="编入党小组", queryset=PartyOrg.objects.none(), required=False)

    def __init__(self, *args: Any, org: PartyOrg | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        groups = PartyOrg.objects.none()
        if org is not None:
            groups = PartyOrg.objects.filter(
                kind=PartyOrg.Kind.GROUP, path__startswith=org.path, dissolved_on__isnull=True
            )
        self.choices("to_group", groups)


class ReceiptForm(StyledForm):
    receipt_on = forms.DateField(label="回执日期", widget=DateInput())
