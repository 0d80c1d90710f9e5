"""Forms of the organisational-life pages: parse input only; services validate and write.

Choice lists come from scoped selectors for the requesting user.
"""

from __future__ import annotations

from typing import Any

from django import forms

from dangjian.orglife.models import Frequency, MeetingAttendance, MeetingFile, MeetingType, Quorum
from dangjian.orgs.forms import DateInput, OrgChoiceField, StyledForm
from dangjian.orgs.models import PartyOrg
from dangjian.people.models import Person


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class MeetingForm(StyledForm):
    org = OrgChoiceField(label="党组织", queryset=PartyOrg.objects.none())
    meeting_type = forms.ModelChoiceField(label="会议类型", queryset=MeetingType.objects.none())
    title = forms.CharField(label="会议名称", max_length=120)
    planned_at = forms.DateTimeField(
        label="召开时间", widget=DateTimeInput(), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    )
    location = forms.CharField(label="地点", max_length=120, required=False)
    host = forms.CharField(label="主持人", max_length=40, required=False)
    period_date = forms.DateField(
        label="计入周期（补开时选上一周期内任一日期）",
        required=False,
        widget=DateInput(),
        help_text="留空则计入召开日期所在周期。",
    )

    def __init__(self, *args: Any, orgs: Any, types: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choices("org", orgs.order_by("path"))
        self.choices("meeting_type", types)


class NoticeForm(StyledForm):
    invitees = forms.ModelMultipleChoiceField(
        label="参会人员", queryset=Person.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["invitees"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = people
        field.widget.attrs["class"] = "form-check-input"


class AttendanceForm(StyledForm):
    person = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(
        label="出席情况",
        choices=[c for c in MeetingAttendance.Status.choices if c[0] != "invited"],
    )
    reason = forms.CharField(label="事由", max_length=200, required=False)


class MinutesForm(StyledForm):
    topic = forms.CharField(label="议题", max_length=200)
    content = forms.CharField(label="会议内容", widget=forms.Textarea(attrs={"rows": 6}))
    resolutions = forms.CharField(
        label="决议事项", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    speakers = forms.CharField(label="发言人", max_length=300, required=False)


class UploadForm(StyledForm):
    kind = forms.ChoiceField(label="类别", choices=MeetingFile.Kind.choices)
    file = forms.FileField(label="文件（JPG/PNG/PDF/DOCX，≤10MB）")


KIND_CHOICES = [
    ("committee", "党委"),
    ("general_branch", "党总支"),
    ("branch", "党支部"),
    ("group", "党小组"),
]


class MeetingTypeForm(StyledForm):
    name = forms.CharField(label="名称", max_length=40)
    frequency = forms.ChoiceField(label="频次", choices=Frequency.choices)
    applies_to = forms.MultipleChoiceField(
        label="适用组织类型", choices=KIND_CHOICES, widget=forms.SelectMultiple
    )
    requires_committee = forms.BooleanField(label="仅适用于设支部委员会的支部", required=False)
    required = forms.BooleanField(label="纳入合规检查", required=False)
    quorum = forms.ChoiceField(label="法定人数规则", choices=Quorum.choices)
    quorum_share = forms.DecimalField(
        label="法定人数比例（到会须超过）", max_digits=4, decimal_places=3, min_value=0, max_value=1
    )
    source = forms.CharField(label="依据", max_length=300, required=False)
    note = forms.CharField(label="说明", max_length=300, required=False)
