"""Satisfaction surveys (满意度测评 / 群众评议): anonymous, yet one response per person.

A ``Survey`` rates one organisation (``subject_org``, the branch) or one person of it
(``subject_person``, star-member mass evaluation) and is answered by its audience: Party members
of the branch's subtree, the masses working in the branch's units, or both.

Anonymity by construction: ``Participation`` records *that* a person answered (the one-response
rule), ``Response`` records *what* was answered, and nothing joins them — a response has a
random UUID key, no person, no user and no timestamp, and every submission rewrites the
survey's responses in a fresh random order (see ``services.response_submit``) so neither the
physical row order nor the database's own row ids/transaction ids follow the order of answers.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from dangjian.core.scope import ScopeSpec
from dangjian.orgs.models import PartyOrg
from dangjian.people.models import Person

SCALE_MIN, SCALE_MAX = 1, 5
TEXT_MAX = 500


class Survey(models.Model):
    class Audience(models.TextChoices):
        MEMBERS = "members", "党员"
        MASSES = "masses", "群众"
        ALL = "all", "党员和群众"

    class State(models.TextChoices):
        DRAFT = "draft", "草稿"
        OPEN = "open", "进行中"
        CLOSED = "closed", "已结束"

    title = models.CharField("标题", max_length=120)
    context = models.CharField(
        "用途",
        max_length=80,
        blank=True,
        db_index=True,
        help_text="调用方的标识，如 assessment.round:12；手工发起的测评为空",
    )
    subject_org = models.ForeignKey(
        PartyOrg, verbose_name="被测评组织", on_delete=models.PROTECT, related_name="surveys"
    )
    subject_person = models.ForeignKey(
        Person,
        verbose_name="被测评人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="surveys_about",
    )
    audience = models.CharField("参评对象", max_length=10, choices=Audience.choices)
    opens_on = models.DateField("开始日期")
    closes_on = models.DateField("截止日期")
    min_respondents = models.PositiveSmallIntegerField("计入结果的最少参评人数")
    state = models.CharField("状态", max_length=8, choices=State.choices, default=State.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)

    scope = ScopeSpec(org_path="subject_org__path")

    class Meta:
        verbose_name = "满意度测评"
        verbose_name_plural = "满意度测评"
        ordering = ["-opens_on", "subject_org__path", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["context", "subject_org", "audience"],
                condition=Q(subject_person__isnull=True) & ~Q(context=""),
                name="survey_once_per_org_context",
            ),
            models.UniqueConstraint(
                fields=["context", "subject_person"],
                condition=Q(subject_person__isnull=False) & ~Q(context=""),
                name="survey_once_per_person_context",
            ),
            models.CheckConstraint(
                condition=Q(closes_on__gte=models.F("opens_on")), name="survey_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    class Kind(models.TextChoices):
        SCALE = "scale", "满意度（1–5分）"
        CHOICE = "choice", "单选"
        TEXT = "text", "意见建议（文字）"

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField("序号")
    text = models.CharField("题目", max_length=300)
    kind = models.CharField("题型", max_length=8, choices=Kind.choices)
    options = models.JSONField("选项", default=list, blank=True)
    weight = models.DecimalField("权重", max_digits=5, decimal_places=2, default=1)

    scope = ScopeSpec(org_path="survey__subject_org__path")

    class Meta:
        verbose_name = "测评题目"
        verbose_name_plural = "测评题目"
        ordering = ["survey", "order"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "order"], name="survey_question_order")
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.text}"


class Participation(models.Model):
    """That a person answered a survey (one per person); it says nothing about the answers."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="participations")
    person = models.ForeignKey(
        Person,
        verbose_name="参评人",
        on_delete=models.PROTECT,
        related_name="survey_participations",
    )
    answered_on = models.DateField("参评日期")

    scope = ScopeSpec(org_path="survey__subject_org__path", person="person_id")

    class Meta:
        verbose_name = "参评记录"
        verbose_name_plural = "参评记录"
        constraints = [
            models.UniqueConstraint(fields=["survey", "person"], name="survey_participation_once")
        ]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.survey_id}"


class Response(models.Model):
    """One anonymous answer sheet: random key, no person, no user, no time; ``answers`` maps a
    question id (as text) to the answer (1–5, an option's text, or free text)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    answers = models.JSONField("答卷", default=dict)

    scope = ScopeSpec(org_path="survey__subject_org__path")

    class Meta:
        verbose_name = "答卷"
        verbose_name_plural = "答卷"

    def __str__(self) -> str:
        return "答卷"
