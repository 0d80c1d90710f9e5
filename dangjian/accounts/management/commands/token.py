"""``dangjian token USERNAME [--name N] [--days D] [--list] [--revoke PREFIX]``.

Issues an API bearer token (printed once; only its SM3 hash is stored), lists a user's tokens
(prefix, name, dates — never the secret) or revokes one by its prefix. Runs as the system actor;
every issue and revoke is audited.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.accounts.tokens import token_issue, token_list, token_revoke
from dangjian.core.context import acting_as
from dangjian.core.scope import SYSTEM


def _fmt(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "-"


class Command(BaseCommand):
    help = "签发、列出或吊销用户的 API 令牌"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="用户名")
        parser.add_argument("--name", default="", help="令牌名称（用途）")
        parser.add_argument("--days", type=int, default=None, help="有效天数（默认按规则）")
        parser.add_argument("--list", action="store_true", help="列出该用户的令牌")
        parser.add_argument("--revoke", metavar="PREFIX", help="吊销指定前缀的令牌")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username__iexact=options["username"]).first()
        if user is None:
            raise CommandError("用户不存在。")
        with acting_as(SYSTEM, channel="cli"):
            try:
                if options["list"]:
                    self._list(user)
                elif options["revoke"]:
                    token = token_revoke(actor=SYSTEM, user=user, prefix=options["revoke"])
                    self.stdout.write(f"已吊销令牌 {token.prefix}（{token.name or '未命名'}）。")
                else:
                    token, raw = token_issue(
                        actor=SYSTEM, user=user, name=options["name"], days=options["days"]
                    )
                    self.stdout.write(
                        f"已为 {user.username} 签发令牌（前缀 {token.prefix}，"
                        f"有效期至 {_fmt(token.expires_at)}）。令牌只显示这一次，请妥善保存："
                    )
                    self.stdout.write(raw)
            except ValidationError as exc:
                raise CommandError("；".join(exc.messages)) from exc

    def _list(self, user: User) -> None:
        now = timezone.now()
        rows = list(token_list(user=user))
        if not rows:
            self.stdout.write("该用户没有令牌。")
            return
        self.stdout.write(
            "前缀      状态    名称            签发时间          到期时间          最近使用"
        )
        for t in rows:
            if t.revoked_at:
                state = "已吊销"
            elif t.expires_at and t.expires_at <= now:
                state = "已过期"
            else:
                state = "有效"
            self.stdout.write(
                f"{t.prefix:<9} {state:<6} {t.name or '-':<14} {_fmt(t.created_at)}  "
                f"{_fmt(t.expires_at)}  {_fmt(t.last_used_at)}"
            )
