"""init, the up helper logic, and a smoke test of `dangjian serve` as a real subprocess."""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dangjian.accounts.models import AdminRole, User
from dangjian.core.management.commands.serve import plan_from_options
from dangjian.demo.ops import ServerPlan, should_load_demo
from dangjian.orgs.models import PartyOrg

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.django_db
def test_init_creates_root_and_three_admins_once():
    out = io.StringIO()
    call_command("init", skip_migrate=True, org_name="钱营孜矿党委", stdout=out)
    root = PartyOrg.objects.get(parent__isnull=True)
    assert root.name == "钱营孜矿党委" and root.kind == "committee"
    admins = {u.username: u for u in User.objects.exclude(admin_role="")}
    assert set(admins) == {"sysadmin", "secadmin", "auditadmin"}
    assert {u.admin_role for u in admins.values()} == set(AdminRole.values)
    printed = dict(re.findall(r"用户名 (\S+)  初始密码 (\S+)", out.getvalue()))
    assert set(printed) == set(admins)
    for username, user in admins.items():
        assert user.must_change_password and not user.is_demo and not user.is_superuser
        assert user.check_password(printed[username])
    assert len(set(printed.values())) == 3  # one random password each

    again = io.StringIO()
    call_command("init", skip_migrate=True, stdout=again)
    assert "已初始化" in again.getvalue()
    assert User.objects.count() == 3
    assert PartyOrg.objects.count() == 1
    assert all(u.check_password(printed[u.username]) for u in User.objects.all())


@pytest.mark.django_db
def test_init_prefix_and_reserved_names():
    call_command("init", skip_migrate=True, prefix="qyz_", stdout=io.StringIO())
    assert set(User.objects.values_list("username", flat=True)) == {
        "qyz_sysadmin",
        "qyz_secadmin",
        "qyz_auditadmin",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["admin", "Root", "test"])
def test_init_refuses_generic_account_names(name):
    with pytest.raises(CommandError):
        call_command("init", skip_migrate=True, system_admin=name, stdout=io.StringIO())
    assert not User.objects.exists()
    assert not PartyOrg.objects.exists()


@pytest.mark.django_db
def test_up_does_not_load_demo_over_existing_data(mine):
    assert not should_load_demo()


@pytest.mark.django_db
def test_up_wants_demo_when_no_organisation_exists():
    assert should_load_demo()
    PartyOrg.objects.create(name="某党委", kind="committee")
    assert not should_load_demo()


def test_server_plan_uses_gunicorn_gthread_on_loopback():
    plan = plan_from_options(
        {"port": 8123, "host": "127.0.0.1", "workers": 0, "threads": 4, "no_worker": False}
    )
    argv = plan.gunicorn_argv()
    assert argv[1:4] == ["-m", "gunicorn", "dangjian.wsgi:application"]
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:8123"
    assert argv[argv.index("--worker-class") + 1] == "gthread"
    assert int(argv[argv.index("--workers") + 1]) >= 2
    assert "runserver" not in " ".join(argv)
    assert plan.worker_argv()[-3:] == ["db_worker", "--interval", "1"]
    assert plan.url == "http://127.0.0.1:8123/"
    with pytest.raises(CommandError):
        plan_from_options({"port": 0, "host": "h", "workers": 0, "threads": 1, "no_worker": 0})
    assert ServerPlan().port == 8000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_serve_smoke_subprocess(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DANGJIAN_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="dangjian.settings")
    env.pop("DANGJIAN_TEST_SQLITE", None)
    migrate = subprocess.run(
        [sys.executable, "-m", "dangjian", "migrate", "-v0"],
        cwd=REPO,
        env=env,
        capture_output=True,
        timeout=240,
    )
    assert migrate.returncode == 0, migrate.stderr.decode()[-2000:]
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "dangjian", "serve", "--port", str(port), "--workers", "1"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        status, body = 0, b""
        while time.monotonic() < deadline:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                time.sleep(0.3)
        assert status == 200, body
        assert b'"database": "ok"' in body
        status, body = _get(f"http://127.0.0.1:{port}/accounts/login/")
        assert status == 200
        assert "登录".encode() in body
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            pytest.fail("serve did not stop on SIGTERM")
    with pytest.raises(OSError):  # gunicorn is gone with its parent
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
