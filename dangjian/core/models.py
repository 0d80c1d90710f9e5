"""Shared tables: business rules as data, background-job progress."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models


class Rule(models.Model):
    """A business rule's current value, seeded from RULES.md with its source (rules are data).

    Code reads rules through :func:`dangjian.core.rules.rule`; it never hard-codes them.
    """

    key = models.CharField("规则键", max_length=100, unique=True)
    category = models.CharField("类别", max_length=40, db_index=True)
    name = models.CharField("名称", max_length=200)
    value = models.JSONField("取值")
    unit = models.CharField("单位", max_length=20, blank=True)
    source = models.CharField("依据", max_length=300, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "业务规则"
        verbose_name_plural = "业务规则"
        ordering = ["category", "key"]

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class Job(models.Model):
    """A long-running piece of work with progress the page can poll (imports, exports...)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "进行中"
        SUCCEEDED = "succeeded", "已完成"
        FAILED = "failed", "失败"

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField("类型", max_length=40)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    phase = models.CharField("阶段", max_length=40, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    params = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    input_file = models.CharField(max_length=300, blank=True)
    output_file = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.uid}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.uid),
            "kind": self.kind,
            "status": self.status,
            "phase": self.phase,
            "percent": self.percent,
            "message": self.message,
            "result": self.result,
        }
