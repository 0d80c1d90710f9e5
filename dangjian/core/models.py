"""Shared tables: business rules as data, background-job progress."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction


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

    # --- progress the polling page sees at once ----------------------------------------------

    @property
    def progress_file(self) -> Path:
        return Path(settings.PRIVATE_DIR) / "jobs" / f"{self.uid}.progress"

    def report_progress(self, phase: str, done: int, total: int) -> None:
        """Record progress where the polling page sees it now. Outside a transaction: the row.
        Inside one (an import writes all its rows in one transaction, so that a failure leaves
        nothing behind): row updates would stay invisible until the commit, and SQLite lets no
        second connection write beside it — so a small file in the private directory, which
        :meth:`live` reads, written whole (rename) so that a reader never sees half of it."""
        if not transaction.get_connection().in_atomic_block:
            Job.objects.filter(pk=self.pk).update(
                status=Job.Status.RUNNING, phase=phase, done=done, total=total
            )
            self.clear_progress()
            return
        path = self.progress_file
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps({"phase": phase, "done": done, "total": total}))
        os.replace(partial, path)

    def live(self) -> Job:
        """This job with the progress reported inside a transaction, if it is still running."""
        if self.status not in (self.Status.QUEUED, self.Status.RUNNING):
            return self
        try:
            noted = json.loads(self.progress_file.read_text())
            phase, done, total = str(noted["phase"])[:40], int(noted["done"]), int(noted["total"])
        except (OSError, ValueError, TypeError, KeyError):
            return self
        self.status = self.Status.RUNNING
        self.phase, self.done, self.total = phase, done, total
        return self

    def clear_progress(self) -> None:
        self.progress_file.unlink(missing_ok=True)

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
