"""The to-do centre: one ``Reminder`` per due item produced by the registered rules, and one
``Notification`` per reminder and person who must act on it.

Reminders are upserted by ``key`` by :func:`dangjian.reminders.services.reminders_refresh`
(running it twice creates nothing new); an item no longer produced is resolved, not deleted,
so the to-do history stays.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dangjian.core.scope import ScopeSpec

LEVEL_RANK = {"info": 0, "yellow": 1, "red": 2}


class Reminder(models.Model):
    class Level(models.TextChoices):
        INFO = "info", "提示"
        YELLOW = "yellow", "黄色预警"
        RED = "red", "红色预警"

    key = models.CharField("键", max_length=200, unique=True)
    rule = models.CharField("规则", max_length=100, db_index=True)
    category = models.CharField("类别", max_length=40, db_index=True)
    title = models.CharField("事项", max_length=300)
    due_on = models.DateField("到期日")
    level = models.CharField("级别", max_length=10, choices=Level.choices, default=Level.INFO)
    org = models.ForeignKey(
        "orgs.PartyOrg",
        verbose_name="责任组织",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    person = models.ForeignKey(
        "people.Person",
        verbose_name="相关人员",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    url = models.CharField("链接", max_length=300, blank=True)
    first_seen = models.DateTimeField("首次产生")
    last_seen = models.DateTimeField("最近确认")
    resolved_at = models.DateTimeField("已解除", null=True, blank=True)

    scope = ScopeSpec(org_path="org__path", person="person_id")

    class Meta:
        verbose_name = "提醒"
        verbose_name_plural = "提醒"
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["resolved_at", "level", "due_on"], name="reminders_open_level"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def css(self) -> str:
        return {"red": "danger", "yellow": "warning"}.get(self.level, "info")


class Notification(models.Model):
    """A reminder delivered to one account (in-app). Escalation marks it unread again."""

    reminder = models.ForeignKey(Reminder, on_delete=models.CASCADE, related_name="notifications")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    created_at = models.DateTimeField("通知时间")
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    # Addressed-to filtering (``user=...``) happens in the selectors on top of this scope: a
    # notification is visible only if its reminder is in the reader's scope as well.
    scope = ScopeSpec(org_path="reminder__org__path", person="reminder__person_id")

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["reminder", "user"], name="reminders_notification_uniq")
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="reminders_notif_unread")]

    def __str__(self) -> str:
        return f"{self.user_id} ← {self.reminder_id}"
