"""``dangjian init``: prepare a real deployment without demo data — migrate, create the root
Party organisation and the three administrators (三员) with one-time passwords, printed once,
that must be changed at first login. Refuses to run on an initialised database."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangjian.demo.ops import AlreadyInitialised, admin_usernames, deployment_init


class Command(BaseCommand):
    help = "初始化正式部署：根党组织与三员账户（一次性密码，首次登录须修改）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org-name", default="XX党委", help="根党组织名称（默认 XX党委）")
        parser.add_argument("--prefix", default="", help="三员用户名前缀，如 qyz_")
        parser.add_argument("--system-admin", default="", help="系统管理员用户名")
        parser.add_argument("--security-admin", default="", help="安全管理员用户名")
        parser.add_argument("--audit-admin", default="", help="审计管理员用户名")
        parser.add_argument("--skip-migrate", action="store_true", help="不执行数据库迁移")

    def handle(self, *args: Any, **options: Any) -> None:
        org_name = options["org_name"].strip()
        if not org_name:
            raise CommandError("根党组织名称不能为空。")
        try:
            usernames = admin_usernames(
                options["prefix"],
                options["system_admin"],
                options["security_admin"],
                options["audit_admin"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if not options["skip_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        try:
            result = deployment_init(org_name=org_name, usernames=usernames)
        except AlreadyInitialised as exc:
            self.stdout.write(self.style.WARNING(str(exc)))
            return
        self.stdout.write(self.style.SUCCESS(f"已创建根党组织：{result.org.name}"))
        self.stdout.write("三员账户（一次性密码只显示这一次，首次登录后须修改）：")
        for username, label, secret in result.accounts:
            self.stdout.write(f"  {label}  用户名 {username}  初始密码 {secret}")
