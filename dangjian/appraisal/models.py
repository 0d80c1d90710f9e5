"""Democratic appraisal of members (民主评议党员): a yearly round per branch.

A round moves draft → self-assessment → evaluation → closed. Every Party member of the branch
(its subtree) is appraised (``AppraisalEntry``): a self-assessment, then peer and mass votes
stored per evaluator (``AppraisalVote``; evaluators are named by the secretary), then the final
grade set by the branch, with 优秀 capped by the rule ``appraisal.excellent_max_ratio``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dangjian.core.scope import ScopeSpec
from dangjian.orgs.models import PartyOrg
from dangjian.people.models import Person


class Grade(models.TextChoices):
    EXCELLENT = "excellent", "优秀"
    QUALIFIED = "qualified", "合格"
    BASIC = "basic", "基本合格"
    UNQUALIFIED = "unqualified", "不合格"


class AppraisalRound(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "准备"
        SELF = "self", "个人自评"
        EVALUATION = "evaluation", "民主测评"
        CLOSED = "closed", "已结束"

    branch = models.ForeignKey(
        PartyOrg, verbose_name="党支部", on_delete=models.PROTECT, related_name="appraisal_rounds"
    )
    year = models.PositiveSmallIntegerField("年度")
    state = models.CharField("阶段", max_length=12, choices=State.choices, default=State.DRAFT)
    note = models.CharField("说明", max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True, db_index=True)

    scope = ScopeSpec(org_path="branch__path")

    class Meta:
        verbose_name = "民主评议"
        verbose_name_plural = "民主评议"
        ordering = ["-year", "branch__path"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "year"], name="appraisal_round_branch_year")
        ]

    def __str__(self) -> str:
        return f"{self.branch.name} {self.year}年度民主评议"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("appraisal:detail", args=[self.pk])


class AppraisalEntry(models.Model):
    """One member appraised in a round: self-assessment and final grade."""

    round = models.ForeignKey(AppraisalRound, on_delete=models.CASCADE, related_name="entries")
    person = models.ForeignKey(
        Person, verbose_name="党员", on_delete=models.PROTECT, related_name="appraisal_entries"
    )
    self_assessment = models.TextField("个人自评", blank=True, max_length=4000)
    self_submitted_at = models.DateTimeField("自评提交时间", null=True, blank=True)
    grade = models.CharField("评定等次", max_length=12, choices=Grade.choices, blank=True)
    graded_at = models.DateTimeField("评定时间", null=True, blank=True)

    scope = ScopeSpec(org_path="round__branch__path", person="person_id")

    class Meta:
        verbose_name = "评议对象"
        verbose_name_plural = "评议对象"
        ordering = ["round", "person__employee_no"]
        constraints = [
            models.UniqueConstraint(fields=["round", "person"], name="appraisal_entry_once")
        ]

    def __str__(self) -> str:
        return f"{self.person.name}（{self.round.year}）"


class AppraisalEvaluator(models.Model):
    """A person named by the secretary to evaluate: a member (peer) or one of the masses."""

    class Kind(models.TextChoices):
        PEER = "peer", "党员互评"
        MASSES = "masses", "群众评议"

    round = models.ForeignKey(AppraisalRound, on_delete=models.CASCADE, related_name="evaluators")
    person = models.ForeignKey(
        Person, verbose_name="评议人", on_delete=models.PROTECT, related_name="appraisal_ballots"
    )
    kind = models.CharField("类别", max_length=8, choices=Kind.choices)

    scope = ScopeSpec(org_path="round__branch__path", person="person_id")

    class Meta:
        verbose_name = "评议人"
        verbose_name_plural = "评议人"
        ordering = ["round", "kind", "person__employee_no"]
        constraints = [
            models.UniqueConstraint(fields=["round", "person"], name="appraisal_evaluator_once")
        ]

    def __str__(self) -> str:
        return f"{self.person.name}（{self.get_kind_display()}）"


class AppraisalVote(models.Model):
    """One evaluator's grade for one member (stored per evaluator, never aggregated away)."""

    entry = models.ForeignKey(AppraisalEntry, on_delete=models.CASCADE, related_name="votes")
    evaluator = models.ForeignKey(
        AppraisalEvaluator, on_delete=models.CASCADE, related_name="votes"
    )
    grade = models.CharField("评价等次", max_length=12, choices=Grade.choices)
    cast_at = models.DateTimeField("评价时间", auto_now=True)

    scope = ScopeSpec(org_path="entry__round__branch__path", person="evaluator__person_id")

    class Meta:
        verbose_name = "评议票"
        verbose_name_plural = "评议票"
        constraints = [
            models.UniqueConstraint(fields=["entry", "evaluator"], name="appraisal_vote_once")
        ]

    def __str__(self) -> str:
        return f"{self.evaluator_id}→{self.entry_id}: {self.grade}"
