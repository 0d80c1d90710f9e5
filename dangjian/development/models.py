"""Member development (发展党员): the 25 steps as a rule table, one case per person, step records.

``StepRule`` holds the steps of RULES.md "Member development" as data (stage, responsible body,
required documents, predecessors, minimum / maximum interval counted from an earlier step, the
political status the step confers), seeded by migration with its source and editable by the
committee and the organisation department. ``DevelopmentCase`` follows one person from the
application (step 1) to the archive (step 25); ``StepRecord`` rows are the completed steps with
their documents (``StepDocument``: private files served only through a permission-checked view).

The next due step and its window are kept on the case (``next_step``, ``next_earliest``,
``next_latest``) by the services, so the pipeline list filters and sorts "overdue" in SQL.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from dangjian.core.scope import ScopeSpec
from dangjian.orgs.models import PartyOrg
from dangjian.people.models import Person


class Stage(models.IntegerChoices):
    APPLICATION = 1, "入党申请"
    ACTIVIST = 2, "入党积极分子的确定和培养教育"
    CANDIDATE = 3, "发展对象的确定和考察"
    ADMISSION = 4, "预备党员的接收"
    PROBATION = 5, "预备党员的教育考察和转正"


class IntervalUnit(models.TextChoices):
    DAYS = "days", "天"
    MONTHS = "months", "个月"
    YEARS = "years", "年"


class StepRule(models.Model):
    """One of the 25 steps, as data. Intervals count from the completion of ``interval_from``.

    ``max_interval`` is the normal deadline: completing later needs a recorded reason;
    ``hard_max_interval`` is the absolute limit (e.g. approval within 3 months, at most 6).
    ``counts_probation``: the minimum interval is the probation, lengthened by an extension.
    ``min_days`` / ``min_hours``: a training step lasts at least so many days or hours.
    """

    number = models.PositiveSmallIntegerField("步骤", unique=True)
    stage = models.PositiveSmallIntegerField("阶段", choices=Stage.choices)
    name = models.CharField("名称", max_length=60)
    responsible = models.CharField("责任主体", max_length=60)
    documents = models.TextField("所需材料", blank=True, help_text="每行一项")
    predecessors = models.JSONField("前置步骤", default=list, blank=True)
    interval_from = models.PositiveSmallIntegerField("间隔起算步骤", null=True, blank=True)
    interval_unit = models.CharField(
        "间隔单位", max_length=8, choices=IntervalUnit.choices, default=IntervalUnit.DAYS
    )
    min_interval = models.PositiveIntegerField("最短间隔", null=True, blank=True)
    max_interval = models.PositiveIntegerField("最长间隔(超期须说明)", null=True, blank=True)
    hard_max_interval = models.PositiveIntegerField("绝对期限", null=True, blank=True)
    counts_probation = models.BooleanField("最短间隔为预备期(含延长)", default=False)
    min_days = models.PositiveSmallIntegerField("最少培训天数", null=True, blank=True)
    min_hours = models.PositiveSmallIntegerField("或最少学时", null=True, blank=True)
    min_age_years = models.PositiveSmallIntegerField("最低年龄(周岁)", null=True, blank=True)
    sets_status = models.CharField("完成后政治面貌", max_length=16, blank=True)
    source = models.CharField("依据", max_length=300, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    # A global rule table, not organisation data: only "all" grants reach it through restrict();
    # pages check the permission with has_permission (view: every developing role; change:
    # committee and organisation department).
    scope = ScopeSpec()

    class Meta:
        verbose_name = "发展党员步骤规则"
        verbose_name_plural = "发展党员步骤规则"
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"

    @property
    def document_list(self) -> list[str]:
        return [line.strip() for line in self.documents.splitlines() if line.strip()]


class DevelopmentCase(models.Model):
    class State(models.TextChoices):
        ACTIVE = "active", "进行中"
        COMPLETED = "completed", "已转正归档"
        WITHDRAWN = "withdrawn", "已终止"
        REVOKED = "revoked", "取消预备党员资格"

    person = models.ForeignKey(
        Person, verbose_name="发展对象", on_delete=models.PROTECT, related_name="development_cases"
    )
    branch = models.ForeignKey(
        PartyOrg, verbose_name="所在党支部", on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        "状态", max_length=10, choices=State.choices, default=State.ACTIVE, db_index=True
    )
    current_stage = models.PositiveSmallIntegerField(
        "当前阶段", choices=Stage.choices, default=Stage.APPLICATION
    )
    last_step = models.PositiveSmallIntegerField("已完成至", default=0)
    next_step = models.PositiveSmallIntegerField("下一步骤", null=True, blank=True)
    next_earliest = models.DateField("最早可办日期", null=True, blank=True)
    next_latest = models.DateField("最迟办理日期", null=True, blank=True, db_index=True)
    extension_count = models.PositiveSmallIntegerField("延长预备期次数", default=0)
    extension_months = models.PositiveSmallIntegerField("延长预备期(月)", null=True, blank=True)
    extension_decided_on = models.DateField("延长决定日期", null=True, blank=True)
    extension_reason = models.CharField("延长原因", max_length=300, blank=True)
    closed_on = models.DateField("终止/取消日期", null=True, blank=True)
    closed_reason = models.CharField("终止/取消原因", max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope = ScopeSpec(org_path="branch__path", person="person_id")

    class Meta:
        verbose_name = "发展党员档案"
        verbose_name_plural = "发展党员档案"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["branch", "state", "current_stage"], name="dev_branch")]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(state="active"),
                name="dev_one_active_case_per_person",
            )
        ]
        permissions = [("export_developmentcase", "导出发展党员名单")]

    def __str__(self) -> str:
        return f"{self.person_id} 发展档案"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("development:detail", args=[self.pk])


class StepRecord(models.Model):
    case = models.ForeignKey(DevelopmentCase, on_delete=models.CASCADE, related_name="steps")
    step = models.PositiveSmallIntegerField("步骤")
    completed_on = models.DateField("完成日期", db_index=True)
    started_on = models.DateField("开始日期", null=True, blank=True)
    hours = models.PositiveSmallIntegerField("学时", null=True, blank=True)
    window_earliest = models.DateField("最早可办日期", null=True, blank=True)
    window_latest = models.DateField("最迟办理日期", null=True, blank=True)
    on_time = models.BooleanField("按期完成", default=True)
    late_reason = models.CharField("超期原因", max_length=300, blank=True)
    note = models.CharField("说明", max_length=500, blank=True)
    recorder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorder_name = models.CharField("登记人", max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeSpec(org_path="case__branch__path", person="case__person_id")

    class Meta:
        verbose_name = "发展步骤记录"
        verbose_name_plural = "发展步骤记录"
        ordering = ["case", "step"]
        constraints = [
            models.UniqueConstraint(fields=["case", "step"], name="dev_one_record_per_step")
        ]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.step} {self.completed_on}"


class StepDocument(models.Model):
    """An uploaded document of a step: stored under a random name in the private data dir."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    record = models.ForeignKey(StepRecord, on_delete=models.CASCADE, related_name="documents")
    original_name = models.CharField("文件名", max_length=200)
    stored_name = models.CharField(max_length=100, editable=False)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField("大小(字节)")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeSpec(org_path="record__case__branch__path", person="record__case__person_id")

    class Meta:
        verbose_name = "发展步骤材料"
        verbose_name_plural = "发展步骤材料"
        ordering = ["record", "id"]

    def __str__(self) -> str:
        return self.original_name
