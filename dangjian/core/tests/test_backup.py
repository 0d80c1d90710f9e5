"""BAK-01/BAK-04: encrypted backups and the automated restore drill, on the suite's database
(SQLite here, PostgreSQL in the second CI pass: pg_dump/pg_restore into a scratch database).

The drill really restores and checks in a separate process on the scratch database; these tests
run it end to end, then break one thing at a time and expect that check, and only it, to fail.
"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from dangjian.audit.models import AuditEvent
from dangjian.audit.tests.helpers import raw_sql, triggers_bypassed
from dangjian.core.backup import (
    DRILL_PREFIX,
    BackupError,
    backup_create,
    backup_daily,
    restore_drill,
)
from dangjian.core.crypto import KeyRing
from dangjian.core.scope import SYSTEM
from dangjian.people.models import Person

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

CHECKS = ["解密与完整性", "数据库结构", "行数", "审计链", "附件文件", "密文抽样解密"]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _backup_key(settings, tmp_path):
    settings.BACKUP_KEY_FILE = tmp_path / "keys" / "backup-key.hex"
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.PRIVATE_DIR = tmp_path / "private"  # uploads of this test only


def _minutes_photo(mine):
    """A meeting in sign-in with one photo: a file under PRIVATE_DIR/orglife and its row."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dangjian.orglife import services
    from dangjian.orglife.tests.helpers import schedule, types

    types()
    meeting = schedule(mine, "theme_day", timezone.localdate(), org=mine.branch_a)
    meeting = services.meeting_notify(actor=SYSTEM, meeting=meeting)
    meeting = services.meeting_open_signin(actor=SYSTEM, meeting=meeting)
    upload = SimpleUploadedFile("现场.png", PNG)
    return services.meeting_attach(actor=SYSTEM, meeting=meeting, upload=upload, kind="photo")


def _leftovers() -> list[str]:
    """Plaintext temporaries and scratch databases a drill or backup left behind."""
    found = [str(p) for p in (Path(settings.PRIVATE_DIR) / "backup-tmp").glob("*")]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s",
                [f"{DRILL_PREFIX}{os.getpid()}\\_%"],  # this worker's: others drill meanwhile
            )
            found += [row[0] for row in cursor.fetchall()]
    return found


def test_backup_is_encrypted_and_the_drill_passes(mine):
    photo = _minutes_photo(mine)
    result = backup_create(actor=SYSTEM)
    assert result.manifest.files["orglife"] == [1, len(PNG)]
    assert result.path.parent == settings.BACKUP_DIR
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(result.path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(settings.BACKUP_KEY_FILE.stat().st_mode) == 0o600
    content = result.path.read_bytes()
    for plaintext in (b"SQLite format 3", b"PGDMP", mine.member_a.name.encode()):
        assert plaintext not in content
    assert result.manifest.counts[Person._meta.db_table] == Person.objects.count()
    last = AuditEvent.objects.order_by("-id").first()
    assert last is not None and last.event_type == "backup_create"
    assert result.manifest.audit_last is not None and result.manifest.audit_last[0] < last.pk

    report = restore_drill(result.path, actor=SYSTEM)
    assert [c.name for c in report.checks] == CHECKS
    assert report.ok, report.checks
    assert "3 个身份证号" in report.checks[-1].detail  # member_a, masses_a, member_b
    assert report.checks[4].detail.startswith("1 个文件齐全")
    assert photo.stored_name  # restored and referenced: checked by the drill's process
    assert report.rto_seconds > 0 and report.rpo_seconds >= 0
    drill = AuditEvent.objects.order_by("-id").first()
    assert drill is not None and drill.event_type == "backup_drill"
    assert drill.outcome == "success" and drill.changes["failed"] == []
    assert _leftovers() == []


def test_manifest_is_read_from_the_snapshot(mine):
    result = backup_create(actor=SYSTEM)
    # the backup's own audit event comes after the snapshot: not in it
    assert result.manifest.audit_last is not None
    assert AuditEvent.objects.filter(pk__gt=result.manifest.audit_last[0]).count() == 1
    assert result.manifest.counts[AuditEvent._meta.db_table] == AuditEvent.objects.count() - 1


def test_a_changed_byte_or_the_wrong_key_refuses_the_file(mine, tmp_path):
    result = backup_create(actor=SYSTEM)
    data = bytearray(result.path.read_bytes())
    data[len(data) // 2] ^= 0x01
    damaged = tmp_path / "damaged.djbak"
    damaged.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="完整性校验失败"):
        restore_drill(damaged, actor=SYSTEM)
    other_key = tmp_path / "other.hex"
    other_key.write_text("00" * 16)
    with pytest.raises(BackupError, match="完整性校验失败"):
        restore_drill(result.path, key_file=other_key, actor=SYSTEM)
    not_ours = tmp_path / "x.djbak"
    not_ours.write_bytes(b"hello" * 20)
    with pytest.raises(BackupError, match="文件头不符"):
        restore_drill(not_ours, actor=SYSTEM)
    refusals = AuditEvent.objects.filter(event_type="backup_drill").order_by("id")
    assert [e.outcome for e in refusals] == ["failure"] * 3
    assert "文件头不符" in refusals[2].changes["error"]
    assert _leftovers() == []


def test_field_keys_that_do_not_match_fail_the_sample(mine, tmp_path):
    result = backup_create(actor=SYSTEM)
    wrong = tmp_path / "wrong-field-keys.json"
    KeyRing.generate().dump(wrong)
    report = restore_drill(result.path, field_key_file=wrong, actor=SYSTEM)
    failed = [c.name for c in report.checks if not c.ok]
    assert failed == ["密文抽样解密"]
    assert not report.ok
    drill = AuditEvent.objects.order_by("-id").first()
    assert drill is not None and drill.outcome == "failure"
    assert _leftovers() == []


def test_an_audit_row_changed_before_the_backup_fails_the_chain_check(mine):
    target = AuditEvent.objects.order_by("id").first()
    assert target is not None
    with triggers_bypassed():
        raw_sql("UPDATE audit_auditevent SET object_repr = %s WHERE id = %s", ["改", target.pk])
    result = backup_create(actor=SYSTEM)
    report = restore_drill(result.path, actor=SYSTEM)
    failed = {c.name: c.detail for c in report.checks if not c.ok}
    assert list(failed) == ["审计链"]
    assert str(target.pk) in failed["审计链"]


def test_commands(mine, tmp_path, capsys):
    call_command("backup", "create", "--output", str(tmp_path / "out"))
    out = capsys.readouterr().out
    assert "已创建备份" in out
    (file,) = (tmp_path / "out").glob("*.djbak")
    call_command("backup", "drill", str(file))
    out = capsys.readouterr().out
    assert "通过  行数" in out and "恢复演练通过" in out and "RTO" in out
    wrong = tmp_path / "wrong.json"
    KeyRing.generate().dump(wrong)
    with pytest.raises(CommandError, match="恢复演练未通过"):
        call_command("backup", "drill", str(file), "--field-key-file", str(wrong))
    assert "失败  密文抽样解密" in capsys.readouterr().out
    with pytest.raises(CommandError, match="找不到备份密钥文件"):
        call_command("backup", "drill", str(file), "--key-file", str(tmp_path / "none.hex"))


def test_daily_backup_once_a_day_keeping_the_newest(mine, settings):
    from dangjian.core.registries import periodic_jobs

    assert "core.backup" in {job.key for job in periodic_jobs()}
    settings.BACKUP_DAILY = True
    settings.BACKUP_KEEP = 2
    first = backup_daily(actor=SYSTEM)
    assert first is not None
    assert backup_daily(actor=SYSTEM) is None  # the newest is younger than 23 hours
    tomorrow = time.time() + 24 * 3600
    second = backup_daily(actor=SYSTEM, now=tomorrow)
    third = backup_daily(actor=SYSTEM, now=tomorrow + 24 * 3600)
    assert second is not None and third is not None
    assert sorted(Path(settings.BACKUP_DIR).glob("*.djbak")) == [second.path, third.path]
    settings.BACKUP_DAILY = False
    assert backup_daily(actor=SYSTEM, now=tomorrow * 2) is None


def test_deploy_check_warns_about_backups_off_or_beside_the_data(settings, tmp_path):
    from dangjian.core.checks import check_backups

    settings.DATA_DIR = tmp_path / "data"
    settings.BACKUP_DAILY = True
    settings.BACKUP_DIR = tmp_path / "elsewhere" / "backups"
    settings.BACKUP_KEY_FILE = tmp_path / "vault" / "backup-key.hex"
    assert check_backups() == []
    settings.BACKUP_DAILY = False
    assert [m.id for m in check_backups()] == ["dangjian.W005"]
    settings.BACKUP_DAILY = True
    settings.BACKUP_DIR = settings.DATA_DIR / "backups"
    settings.BACKUP_KEY_FILE = settings.DATA_DIR / "keys" / "backup-key.hex"
    messages = check_backups()
    assert [m.id for m in messages] == ["dangjian.W006", "dangjian.W006"]
    assert "备份目录" in messages[0].msg and "备份密钥" in messages[1].msg


def test_a_referenced_file_missing_at_backup_time_fails_the_files_check(mine):
    from dangjian.core.uploads import stored_path

    photo = _minutes_photo(mine)
    path = stored_path(photo.stored_name, subdir="orglife")
    assert path is not None
    path.unlink()  # lost on disk before the backup: the database still refers to it
    report = restore_drill(backup_create(actor=SYSTEM).path, actor=SYSTEM)
    failed = {c.name: c.detail for c in report.checks if not c.ok}
    assert list(failed) == ["附件文件"]
    assert photo.stored_name in failed["附件文件"]


def test_every_upload_folder_of_the_models_is_backed_up():
    from django.apps import apps
    from django.db.models import FileField

    from dangjian.core.registries import record_file_folders
    from dangjian.orglife.services import UPLOAD_DIR

    folders = set(record_file_folders())
    upload_to = {
        str(f.upload_to).split("/")[0]
        for model in apps.get_models()
        for f in model._meta.get_fields()
        if isinstance(f, FileField)
    }
    assert upload_to | {UPLOAD_DIR} <= folders


def test_a_crafted_archive_cannot_write_outside(tmp_path):
    import io
    import tarfile

    from dangjian.core.backup import _unpack

    payload = tmp_path / "payload.tar"
    with tarfile.open(payload, "w") as tar:
        info = tarfile.TarInfo("files/../../escape.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    with pytest.raises(BackupError, match="不合规"):
        _unpack(payload, tmp_path / "dump", tmp_path / "private")
    assert not (tmp_path.parent / "escape.txt").exists()


def test_plaintext_left_by_a_killed_backup_is_removed_by_the_next(mine):

    leftover = Path(settings.PRIVATE_DIR) / "backup-tmp" / "tmpkilled"
    leftover.mkdir(parents=True)
    (leftover / "dump").write_bytes(b"SQLite format 3\x00 plaintext")
    recent = Path(settings.PRIVATE_DIR) / "backup-tmp" / "tmprunning"
    recent.mkdir()
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(leftover, (two_days_ago, two_days_ago))
    backup_create(actor=SYSTEM)
    assert not leftover.exists()
    assert recent.exists()  # may belong to a backup running now


def test_restore_into_a_new_installation_then_refuse_to_overwrite(mine, tmp_path):
    """Recovery as an operator would run it: ``dangjian backup restore`` in a new process
    against a new data directory (SQLite) or a new empty database (PostgreSQL)."""
    import secrets
    import sqlite3
    import subprocess
    import sys

    from dangjian.core.backup import _scratch_url

    photo = _minutes_photo(mine)
    result = backup_create(actor=SYSTEM)
    persons = Person.objects.count()
    new_dir = tmp_path / "new"
    env = {
        **os.environ,
        "DANGJIAN_DATA_DIR": str(new_dir),
        "DANGJIAN_KEY_FILE": str(settings.FIELD_KEY_FILE),
        "DANGJIAN_BACKUP_KEY_FILE": str(settings.BACKUP_KEY_FILE),
    }
    env.pop("DANGJIAN_TEST_DB_TEMPLATE", None)
    target = ""
    if connection.vendor == "postgresql":
        target = f"dangjian_restore_{secrets.token_hex(4)}"
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{target}" TEMPLATE template0')
        env["DATABASE_URL"] = _scratch_url(connection.settings_dict, target)
    else:
        env.pop("DATABASE_URL", None)

    def restore(*extra: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "dangjian", "backup", "restore", str(result.path)]
        return subprocess.run(
            [*command, *extra], env=env, capture_output=True, text=True, check=False
        )

    def restored(sql: str) -> list[tuple]:
        if target:
            import psycopg

            with psycopg.connect(env["DATABASE_URL"]) as conn:
                return conn.execute(sql).fetchall()
        with sqlite3.connect(new_dir / "dangjian.sqlite3") as conn:
            return conn.execute(sql).fetchall()

    try:
        done = restore()
        assert done.returncode == 0, done.stdout + done.stderr
        assert "通过  附件文件" in done.stdout and "恢复完成" in done.stdout
        assert (new_dir / "private" / "orglife" / photo.stored_name).read_bytes() == PNG
        assert restored("SELECT COUNT(*) FROM people_person") == [(persons,)]
        last = restored("SELECT event_type FROM audit_auditevent ORDER BY id DESC LIMIT 1")
        assert last == [("backup_restore",)]
        again = restore()
        assert again.returncode != 0
        assert ("不为空" if target else "--replace") in again.stderr
        if not target:
            assert restore("--replace").returncode == 0
            assert list(new_dir.glob("dangjian.sqlite3.before-restore-*"))
    finally:
        if target:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
