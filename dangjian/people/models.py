"""Every employee (``Person``), Party member or not, with sealed identifiers and a history.

Citizen ID, phone and address are sealed with SM4-GCM (``*_sealed``); ID and phone also carry
an HMAC-SM3 blind index (``*_bidx``) for exact-match search. Read them through
``person.citizen_id`` / ``person.phone`` (plaintext, server side only) and show them through
``dangjian.people.selectors.person_display`` which masks unless the user may reveal.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models

from dangjian.core import crypto
from dangjian.core.scope import ScopeSpec
from dangjian.orgs.models import PartyOrg, Unit


class PoliticalStatus(models.TextChoices):
    MASSES = "masses", "群众"
    LEAGUE_MEMBER = "league_member", "共青团员"
    APPLICANT = "applicant", "入党申请人"
    ACTIVIST = "activist", "入党积极分子"
    CANDIDATE = "candidate", "发展对象"
    PROBATIONARY = "probationary", "预备党员"
    FULL = "full", "正式党员"


PARTY_MEMBER_STATUSES = (PoliticalStatus.PROBATIONARY, PoliticalStatus.FULL)


class MembershipStatus(models.TextChoices):
    NORMAL = "normal", "正常"
    SUSPENDED = "suspended", "停止党籍"
    RESTORED = "restored", "恢复党籍"
    RETAINED = "retained", "保留党籍"
    EXPELLED = "expelled", "开除党籍"
    QUIT = "quit", "出党"
    DECEASED = "deceased", "死亡"


class Education(models.TextChoices):
    PRIMARY = "primary", "小学"
    JUNIOR = "junior", "初中"
    SENIOR = "senior", "高中/中专/技校"
    COLLEGE = "college", "大专"
    BACHELOR = "bachelor", "本科"
    MASTER = "master", "硕士研究生"
    DOCTOR = "doctor", "博士研究生"


class Gender(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


def sealed_aad(table: str, uid: Any, field: str) -> str:
    """The AAD a sealed value is bound to: its table, its row's uid and its field."""
    return f"{table}:{uid}:{field}"


class SealedValue:
    """Descriptor: plaintext view of a sealed column, bound to table, row uid and field (AAD)."""

    def __init__(self, field: str) -> None:
        self.field = field

    def aad(self, obj: models.Model) -> str:
        return sealed_aad(obj._meta.db_table, obj.uid, self.field)  # type: ignore[attr-defined]

    def __get__(self, obj: models.Model | None, owner: type) -> str:
        if obj is None:
            return self  # type: ignore[return-value]
        sealed = getattr(obj, f"{self.field}_sealed")
        if not sealed:
            return ""
        return crypto.open_sealed(sealed, self.aad(obj))

    def __set__(self, obj: models.Model, value: str) -> None:
        setattr(obj, f"{self.field}_sealed", crypto.seal(value, self.aad(obj)) if value else None)
        if hasattr(obj, f"{self.field}_bidx"):
            setattr(
                obj,
                f"{self.field}_bidx",
                crypto.blind_index(value, self.field) if value else None,
            )


class Person(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    employee_no = models.CharField("工号", max_length=32, unique=True)
    name = models.CharField("姓名", max_length=40, db_index=True)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices)
    ethnicity = models.CharField("民族", max_length=20, default="汉族")
    birth_date = models.DateField("出生日期")
    education = models.CharField("学历", max_length=12, choices=Education.choices, blank=True)
    citizen_id_sealed = models.BinaryField("身份证号(密文)", null=True, editable=False)
    citizen_id_bidx = models.CharField(max_length=64, null=True, unique=True, editable=False)
    phone_sealed = models.BinaryField("手机号(密文)", null=True, editable=False)
    phone_bidx = models.CharField(max_length=64, null=True, db_index=True, editable=False)
    address_sealed = models.BinaryField("家庭住址(密文)", null=True, editable=False)
    post = models.CharField("岗位", max_length=60, blank=True)
    unit = models.ForeignKey(
        Unit, verbose_name="单位/班队", on_delete=models.PROTECT, related_name="persons"
    )
    is_front_line = models.BooleanField("一线职工", default=False)
    political_status = models.CharField(
        "政治面貌", max_length=16, choices=PoliticalStatus.choices, default=PoliticalStatus.MASSES
    )
    party_org = models.ForeignKey(
        PartyOrg, verbose_name="所在党组织", on_delete=models.PROTECT, related_name="persons"
    )
    party_group = models.ForeignKey(
        PartyOrg,
        verbose_name="所在党小组",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="group_persons",
    )
    joined_party_on = models.DateField("入党日期", null=True, blank=True)
    regularised_on = models.DateField("转正日期", null=True, blank=True)
    membership_status = models.CharField(
        "党籍状态", max_length=12, choices=MembershipStatus.choices, default=MembershipStatus.NORMAL
    )
    lost_contact = models.BooleanField("失联", default=False)
    lost_contact_on = models.DateField("失联日期", null=True, blank=True)
    is_mobile = models.BooleanField("流动党员", default=False)
    mobile_destination = models.CharField("外出流向", max_length=120, blank=True)
    is_employed = models.BooleanField("在职", default=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="登录账户",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    citizen_id = SealedValue("citizen_id")
    phone = SealedValue("phone")
    address = SealedValue("address")

    scope = ScopeSpec(org_path="party_org__path", person="pk")

    class Meta:
        verbose_name = "人员"
        verbose_name_plural = "人员"
        ordering = ["employee_no"]
        indexes = [
            models.Index(fields=["party_org", "political_status"], name="people_org_status"),
            models.Index(fields=["unit", "political_status"], name="people_unit_status"),
        ]
        permissions = [
            ("reveal_person", "查看明文敏感信息"),
            ("import_person", "导入人员"),
            ("export_person", "导出人员"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.employee_no}）"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("people:detail", args=[self.pk])

    @property
    def is_party_member(self) -> bool:
        return self.political_status in PARTY_MEMBER_STATUSES


class PersonChange(models.Model):
    """History of a person's record: what changed, and where they belonged at the time."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="changes")
    changed_at = models.DateTimeField("变更时间", auto_now_add=True, db_index=True)
    actor_name = models.CharField("操作人", max_length=150, blank=True)
    source = models.CharField("来源", max_length=20, default="web")  # web/api/import/...
    changes = models.JSONField("变更内容(敏感值已脱敏)", default=dict)
    party_org = models.ForeignKey(PartyOrg, null=True, on_delete=models.PROTECT, related_name="+")
    party_org_name = models.CharField("当时所在党组织", max_length=120, blank=True)
    unit = models.ForeignKey(Unit, null=True, on_delete=models.PROTECT, related_name="+")
    unit_name = models.CharField("当时所在单位", max_length=120, blank=True)

    scope = ScopeSpec(org_path="person__party_org__path", person="person_id")

    class Meta:
        verbose_name = "人员变更记录"
        verbose_name_plural = "人员变更记录"
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.person_id} @ {self.changed_at}"


class AnalyticsSnapshot(models.Model):
    """The structure-analytics page's figures, cached per data scope (docs/decisions.md).

    ``scope_key`` is a digest of the viewer's scope predicates, so users who see the same rows
    share one row; ``version`` names the data it was computed from (see
    ``dangjian.people.analytics.snapshot_lookup``). Kept in the database, not a per-process cache,
    so every server process sees the same snapshot and a rolled-back write rolls it back too.
    Never shown directly: it is read only for a user whose scope digest it carries.
    """

    scope_key = models.CharField(max_length=64, unique=True)
    version = models.CharField(max_length=200)
    computed_at = models.DateTimeField()
    data = models.JSONField(default=dict)

    scope = ScopeSpec()  # no organisation of its own: keyed by the reader's scope digest

    class Meta:
        verbose_name = "结构分析缓存"
        verbose_name_plural = "结构分析缓存"

    def __str__(self) -> str:
        return f"{self.scope_key[:8]} @ {self.computed_at}"
