"""``dangjian disable_inactive``: disable accounts unused for the rule's number of days (AC-06).

Meant for a daily schedule (cron/systemd timer). Runs as the system actor; every disabled
account is audited and its sessions end.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from dangjian.accounts.services import disable_inactive
from dangjian.core.context import acting_as
from dangjian.core.rules import rule
from dangjian.core.scope import SYSTEM


class Command(BaseCommand):
    help = "停用长期未使用的账户（天数见安全参数 security.inactive_account_days）"

    def handle(self, *args: Any, **options: Any) -> None:
        with acting_as(SYSTEM, channel="cli"):
            disabled = disable_inactive(actor=SYSTEM)
        days = rule("security.inactive_account_days")
        for user in disabled:
            self.stdout.write(f"已停用：{user.username}")
        self.stdout.write(f"共停用 {len(disabled)} 个超过 {days} 天未使用的账户。")
