"""Forms of the round pages: parse input only; the services validate and write."""

from __future__ import annotations

from typing import Any

from django import forms

from dangjian.assessment.models import AssessmentRound, AssessmentScheme
from dangjian.core.scope import restrict
from dangjian.orgs.forms import DateInput, StyledForm
from dangjian.orgs.models import PartyOrg


class RoundForm(StyledForm):
    scheme = forms.ModelChoiceField(label="考核方案", queryset=AssessmentScheme.objects.none())
    name = forms.CharField(label="考核名称", max_length=120)
    kind = forms.ChoiceField(label="类型", choices=AssessmentRound.Kind.choices)
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(
        label="季度",
        choices=[("", "—"), (1, "第一季度"), (2, "第二季度"), (3, "第三季度"), (4, "第四季度")],
        coerce=int,
        empty_value=None,
        required=False,
    )
    period_start = forms.DateField(label="考核期开始（专项）", required=False, widget=DateInput())
    period_end = forms.DateField(label="考核期结束（专项）", required=False, widget=DateInput())
    opens_on = forms.DateField(label="开始日期", widget=DateInput())
    closes_on = forms.DateField(label="截止日期", widget=DateInput())
    branches = forms.ModelMultipleChoiceField(
        label="参评党支部",
        queryset=PartyOrg.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    apply_quotas = forms.BooleanField(label="启用星级名额比例", required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choices(
            "scheme",
            restrict(AssessmentScheme.objects.all(), user, "view").filter(
                state=AssessmentScheme.State.PUBLISHED
            ),
        )
        branches = self.fields["branches"]
        assert isinstance(branches, forms.ModelMultipleChoiceField)
        branches.queryset = (
            restrict(PartyOrg.objects.filter(kind=PartyOrg.Kind.BRANCH), user, "view")
            .filter(dissolved_on__isnull=True)
            .order_by("path")
        )
        branches.widget.attrs["class"] = "form-check-input"
