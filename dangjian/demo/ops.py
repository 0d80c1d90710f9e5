"""Operations helpers behind ``dangjian up``, ``serve`` and ``init``.

``serve`` runs two child processes: gunicorn (the production WSGI server, gthread workers sized
for a small machine) and the django-tasks database worker, and stops both on Ctrl-C/SIGTERM.
``init`` prepares a real deployment: the root organisation and the three administrators with
one-time passwords that must be changed at first login.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from dangjian.accounts.models import AdminRole, User
from dangjian.accounts.services import account_create
from dangjian.core.scope import SYSTEM
from dangjian.orgs.models import PartyOrg
from dangjian.orgs.services import org_create

DEFAULT_ADMIN_NAMES = {
    AdminRole.SYSTEM: "sysadmin",
    AdminRole.SECURITY: "secadmin",
    AdminRole.AUDIT: "auditadmin",
}
RESERVED_USERNAMES = {"admin", "root", "test", "administrator"}


def should_load_demo() -> bool:
    """``up`` loads the demo mine only into a database without any organisation."""
    return not PartyOrg.objects.exists()


# ---- init --------------------------------------------------------------------------------------
class AlreadyInitialised(Exception):
    """The database already has a root organisation or administrators: init does nothing."""


@dataclass
class InitResult:
    org: PartyOrg
    accounts: list[tuple[str, str, str]]  # (username, role label, one-time password)


def admin_usernames(
    prefix: str = "", system: str = "", security: str = "", audit: str = ""
) -> dict[str, str]:
    names = {
        AdminRole.SYSTEM: system or f"{prefix}{DEFAULT_ADMIN_NAMES[AdminRole.SYSTEM]}",
        AdminRole.SECURITY: security or f"{prefix}{DEFAULT_ADMIN_NAMES[AdminRole.SECURITY]}",
        AdminRole.AUDIT: audit or f"{prefix}{DEFAULT_ADMIN_NAMES[AdminRole.AUDIT]}",
    }
    lowered = [n.lower() for n in names.values()]
    if len(set(lowered)) != 3:
        raise ValueError("三个管理员账户的用户名必须互不相同。")
    reserved = RESERVED_USERNAMES.intersection(lowered)
    if reserved:
        raise ValueError(f"不能使用通用账户名：{', '.join(sorted(reserved))}（等保要求）。")
    return {str(k): v for k, v in names.items()}


@transaction.atomic
def deployment_init(*, org_name: str, usernames: dict[str, str]) -> InitResult:
    """Create the root Party organisation and the three administrators, once."""
    if (
        PartyOrg.objects.filter(parent__isnull=True).exists()
        or User.objects.exclude(admin_role="").exists()
    ):
        raise AlreadyInitialised("系统已初始化（已存在根组织或管理员账户），未做任何更改。")
    org = org_create(name=org_name, kind=PartyOrg.Kind.COMMITTEE, parent=None, actor=SYSTEM)
    accounts = []
    for role, username in usernames.items():
        label = AdminRole(role).label
        user, secret = account_create(
            actor=SYSTEM,
            username=username,
            display_name=label,
            admin_role=role,
            must_change_password=True,
        )
        accounts.append((user.username, str(label), secret))
    return InitResult(org, accounts)


# ---- serve -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ServerPlan:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 2
    threads: int = 4
    worker_process: bool = True

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def gunicorn_argv(self) -> list[str]:
        access_log = os.environ.get("DANGJIAN_ACCESS_LOG", "")  # "-" = stdout
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "dangjian.wsgi:application",
            "--bind",
            f"{self.host}:{self.port}",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--worker-class",
            "gthread",
            "--timeout",
            "120",
            "--graceful-timeout",
            "10",
            "--log-level",
            "warning",
            *(["--access-logfile", access_log] if access_log else []),
        ]

    def worker_argv(self) -> list[str]:
        return [sys.executable, "-m", "dangjian", "db_worker", "--interval", "1"]

    def scheduler_argv(self) -> list[str]:
        return [sys.executable, "-m", "dangjian", "scheduler"]


def default_workers() -> int:
    """One process per core (at least 2), each with 4 threads: 2 x 4 on a 2-core machine."""
    return max(2, min(os.cpu_count() or 1, 8))


def run_servers(plan: ServerPlan, write: Callable[[str], Any] = print) -> int:
    """Start gunicorn (and the task worker), wait, stop both on a signal or when one exits."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dangjian.settings"}
    children: list[subprocess.Popen[bytes]] = [subprocess.Popen(plan.gunicorn_argv(), env=env)]
    if plan.worker_process:
        children.append(subprocess.Popen(plan.worker_argv(), env=env))
        children.append(subprocess.Popen(plan.scheduler_argv(), env=env))
    stopping = {"signal": 0}

    def on_signal(signum: int, frame: Any) -> None:
        stopping["signal"] = signum

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    code = 0
    try:
        while not stopping["signal"]:
            exited = [c for c in children if c.poll() is not None]
            if exited:
                code = exited[0].returncode or 0
                write(f"子进程 {exited[0].pid} 已退出（{code}），正在停止其余进程 …")
                break
            time.sleep(0.2)
    finally:
        stop_children(children)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return code


def stop_children(children: list[subprocess.Popen[bytes]], timeout: float = 15) -> None:
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + timeout
    for child in children:
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
