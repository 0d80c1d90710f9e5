"""Organisational life: meeting types (a rule table), meetings, attendance, minutes files.

``MeetingType`` holds the RULES.md frequencies and quorum rules as data (seeded by a migration,
editable by committee / organisation-department users). A ``Meeting`` belongs to one Party
organisation (branch, group or committee) and moves plan → notice → sign-in → minutes →
archive; its invitees are ``MeetingAttendance`` rows, one per person, snapshotting whether the
person had a vote at notice time. Uploaded minutes files live under PRIVATE_DIR/orglife/ with
random names and are served only through a permission-checked view.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import models

from dangjian.core.scope import ScopeSpec
from dangjian.orgs.models import PartyOrg
from dangjian.people.models import Person


@dataclass(frozen=True)
class ManyScopeSpec(ScopeSpec):
    """A scope whose person lookup crosses a to-many relation: restrict() adds DISTINCT."""

    many: bool = True


class Frequency(models.TextChoices):
    MONTH = "month", "每月"
    QUARTER = "quarter", "每季度"
    YEAR = "year", "每年"


class Quorum(models.TextChoices):
    NONE = "none", "不设法定人数"
    VOTING_MEMBERS = "voting_members", "有表决权的党员过半数"
    INVITEES = "invitees", "应到委员过半数"


class MeetingType(models.Model):
    """A kind of organisational life with its required frequency (rule table)."""

    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=40)
    frequency = models.CharField("频次", max_length=10, choices=Frequency.choices)
    applies_to = models.JSONField("适用组织类型", default=list)  # PartyOrg.Kind values
    requires_committee = models.BooleanField("仅适用于设支部委员会的支部", default=False)
    required = models.BooleanField("纳入合规检查", default=True)
    quorum = models.CharField("法定人数规则", max_length=20, choices=Quorum.choices)
    quorum_share = models.DecimalField(
        "法定人数比例(须超过)", max_digits=4, decimal_places=3, default=0.5
    )
    source = models.CharField("依据", max_length=300, blank=True)
    note = models.CharField("说明", max_length=300, blank=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)
    version = models.PositiveIntegerField(default=1, editable=False)

    scope = ScopeSpec()  # a rule table: not on the tree (permission only)

    class Meta:
        verbose_name = "会议类型规则"
        verbose_name_plural = "会议类型规则"
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name

    def applies(self, kind: str, has_committee: bool) -> bool:
        return kind in self.applies_to and (not self.requires_committee or has_committee)


class Meeting(models.Model):
    class State(models.TextChoices):
        PLAN = "plan", "计划"
        NOTICE = "notice", "已通知"
        SIGNIN = "signin", "签到中"
        MINUTES = "minutes", "已记录纪要"
        ARCHIVED = "archived", "已归档"

    org = models.ForeignKey(
        PartyOrg, verbose_name="党组织", on_delete=models.PROTECT, related_name="meetings"
    )
    meeting_type = models.ForeignKey(
        MeetingType, verbose_name="会议类型", on_delete=models.PROTECT, related_name="meetings"
    )
    title = models.CharField("会议名称", max_length=120)
    planned_at = models.DateTimeField("召开时间")
    held_on = models.DateField("召开日期", db_index=True)
    period_start = models.DateField("计入周期起")
    period_end = models.DateField("计入周期止")
    location = models.CharField("地点", max_length=120, blank=True)
    host = models.CharField("主持人", max_length=40, blank=True)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.PLAN)
    signin_nonce = models.CharField(max_length=32, blank=True, editable=False)
    signin_opened_at = models.DateTimeField("开始签到时间", null=True, blank=True)
    quorate = models.BooleanField("达到法定人数", null=True, blank=True)
    topic = models.CharField("议题", max_length=200, blank=True)
    content = models.TextField("会议内容", blank=True)
    resolutions = models.TextField("决议事项", blank=True)
    speakers = models.CharField("发言人", max_length=300, blank=True)
    invited_count = models.PositiveIntegerField("应到人数", default=0)
    present_count = models.PositiveIntegerField("实到人数", default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope = ManyScopeSpec(org_path="org__path", person="attendances__person")

    class Meta:
        verbose_name = "会议"
        verbose_name_plural = "会议"
        ordering = ["-planned_at", "-id"]
        indexes = [
            models.Index(fields=["org", "meeting_type", "period_start"], name="orglife_mtg_period"),
            models.Index(fields=["org", "held_on"], name="orglife_mtg_org_held"),
            models.Index(fields=["state", "planned_at"], name="orglife_mtg_state"),
        ]
        permissions = [("export_meeting", "导出会议")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("orglife:detail", args=[self.pk])

    @property
    def counts(self) -> bool:
        """Does this meeting count toward compliance (held, and quorate where required)?"""
        return self.state in COUNTING_STATES and self.quorate is not False

    @property
    def is_late(self) -> bool:
        return self.held_on > self.period_end


COUNTING_STATES = (Meeting.State.MINUTES, Meeting.State.ARCHIVED)


class MeetingAttendance(models.Model):
    class Status(models.TextChoices):
        INVITED = "invited", "待签到"
        PRESENT = "present", "出席"
        ABSENT = "absent", "缺席"
        LEAVE = "leave", "请假"

    class Method(models.TextChoices):
        NONE = "", "—"
        QR = "qr", "扫码签到"
        SECRETARY = "secretary", "书记代签"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendances")
    person = models.ForeignKey(
        Person, verbose_name="人员", on_delete=models.PROTECT, related_name="meeting_attendances"
    )
    status = models.CharField(
        "出席情况", max_length=10, choices=Status.choices, default=Status.INVITED
    )
    reason = models.CharField("缺席/请假事由", max_length=200, blank=True)
    is_voting = models.BooleanField("有表决权", default=False)
    method = models.CharField(
        "签到方式", max_length=10, choices=Method.choices, blank=True, default=""
    )
    checked_in_at = models.DateTimeField("签到时间", null=True, blank=True)

    scope = ScopeSpec(org_path="meeting__org__path", person="person_id")

    class Meta:
        verbose_name = "参会记录"
        verbose_name_plural = "参会记录"
        ordering = ["meeting", "person__employee_no"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "person"], name="orglife_attendance_once")
        ]
        indexes = [models.Index(fields=["person", "status"], name="orglife_att_person")]

    def __str__(self) -> str:
        return f"{self.meeting_id}:{self.person_id}:{self.status}"


class MeetingFile(models.Model):
    class Kind(models.TextChoices):
        PHOTO = "photo", "照片"
        ATTACHMENT = "attachment", "附件"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField("类别", max_length=12, choices=Kind.choices)
    original_name = models.CharField("文件名", max_length=120)
    stored_name = models.CharField(max_length=80, unique=True, editable=False)
    content_type = models.CharField(max_length=80)
    size = models.PositiveIntegerField("大小")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeSpec(org_path="meeting__org__path")

    class Meta:
        verbose_name = "会议附件"
        verbose_name_plural = "会议附件"
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name
