"""Encrypted backups and the automated restore drill (BAK-01 local part, BAK-04).

``backup_create`` takes a consistent snapshot of the whole database — SQLite's online backup
API, or ``pg_dump --snapshot`` inside a REPEATABLE READ transaction on PostgreSQL — and writes
it SM4-GCM encrypted under the backup key (``BACKUP_KEY_FILE``, kept apart from the data and
from the field keys), together with a manifest read from the *same* snapshot: row counts of
every table, the audit chain's last record and hash, the applied migrations.

``restore_drill`` does what a recovery would: decrypts the file (a flipped byte or the wrong
key fails the GCM tag), restores it into a scratch database (a new SQLite file, or a new
PostgreSQL database restored with ``pg_restore``), then starts a separate process on that
scratch database with the *backed-up* field keys and checks there (``check_restored``): no
migration missing, every table's row count as in the manifest, the audit chain verifies and
ends at the manifest's record, and sampled sealed citizen IDs decrypt and match their blind
index. It reports each check and the measured recovery time (RTO) and the backup's age (RPO);
the scratch database and every plaintext temporary file are removed, whatever the outcome.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.db import connection
from django.utils import timezone

MAGIC = b"DANGJIAN-BACKUP\x01"
NONCE_BYTES = 12
TAG_BYTES = 16
CHUNK = 1 << 20
SAMPLE_SIZE = 20
DRILL_PREFIX = "dangjian_drill_"
DAILY_SECONDS = 23 * 3600  # a backup younger than this counts as today's
STALE_SECONDS = 24 * 3600  # plaintext temporaries of a killed backup or drill


class BackupError(Exception):
    """A backup could not be written or read; the message is for the operator (Chinese)."""


@dataclass
class Manifest:
    created_at: str
    vendor: str
    counts: dict[str, int]
    audit_last: list[Any] | None  # [id, hash] of the last audit record, None when empty
    migrations: list[list[str]]
    files: dict[str, list[int]] = field(default_factory=dict)  # folder: [count, bytes]
    format: int = 2


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class DrillReport:
    backup: str
    created_at: str
    checks: list[Check] = field(default_factory=list)
    rto_seconds: float = 0.0
    rpo_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)


# --- the backup key ---------------------------------------------------------------------------


def backup_key_file() -> Path:
    return Path(settings.BACKUP_KEY_FILE)


def backup_key(path: Path | None = None, *, create: bool = False) -> bytes:
    """The 128-bit SM4 backup key; made (mode 0600) on the first backup."""
    path = path or backup_key_file()
    if not path.exists():
        if not create:
            raise BackupError(f"找不到备份密钥文件 {path}。")
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_bytes(16).hex())
    try:
        key = bytes.fromhex(path.read_text().strip())
    except ValueError as exc:
        raise BackupError(f"备份密钥文件 {path} 格式错误。") from exc
    if len(key) != 16:
        raise BackupError(f"备份密钥文件 {path} 格式错误（应为 128 位 SM4 密钥）。")
    return key


# --- the file format: MAGIC | nonce | SM4-GCM(len(manifest) | manifest | payload) | tag ------
# The payload is a tar stream: "database" (the SQLite file or pg_dump's archive), then
# "files/<folder>/<name>" for every file of the folders that hold records.


class _Encrypting:
    """A write-only file object that encrypts into ``out`` (what tarfile writes to)."""

    def __init__(self, encryptor: Any, out: IO[bytes]) -> None:
        self.encryptor, self.out = encryptor, out

    def write(self, data: bytes) -> int:
        self.out.write(self.encryptor.update(bytes(data)))
        return len(data)


def _record_files() -> dict[str, list[Path]]:
    """Every file now in each folder that holds records, by folder."""
    from dangjian.core.registries import record_file_folders

    base = Path(settings.PRIVATE_DIR)
    return {
        folder: sorted(p for p in (base / folder).rglob("*") if p.is_file())
        for folder in record_file_folders()
    }


def _encrypt(
    key: bytes, manifest: Manifest, dump: Path, files: dict[str, list[Path]], out: IO[bytes]
) -> None:
    nonce = secrets.token_bytes(NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(MAGIC + nonce)
    head = json.dumps(asdict(manifest), ensure_ascii=False).encode()
    out.write(MAGIC + nonce)
    out.write(encryptor.update(struct.pack(">I", len(head)) + head))
    base = Path(settings.PRIVATE_DIR)
    writer = _Encrypting(encryptor, out)  # write() only: tarfile's stream mode needs no more
    with tarfile.open(fileobj=writer, mode="w|", bufsize=CHUNK) as tar:  # type: ignore[call-overload]
        tar.add(dump, arcname="database", recursive=False)
        for paths in files.values():
            for path in paths:
                tar.add(path, arcname=f"files/{path.relative_to(base).as_posix()}")
    out.write(encryptor.finalize() + encryptor.tag)


def _unpack(payload: Path, dump: Path, private_dir: Path) -> None:
    """The payload's database to ``dump`` and its files under ``private_dir``; only regular
    files with plain relative names (a crafted archive cannot write elsewhere)."""
    with tarfile.open(payload, mode="r:") as tar:
        for member in tar:
            name = member.name
            parts = Path(name).parts
            if not member.isfile() or name.startswith("/") or ".." in parts:
                raise BackupError(f"备份内容不合规：{name}")
            if name == "database":
                target = dump
            elif parts[0] == "files" and len(parts) > 2:
                target = private_dir.joinpath(*parts[1:])
                target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            else:
                raise BackupError(f"备份内容不合规：{name}")
            source = tar.extractfile(member)
            assert source is not None
            with source, target.open("wb") as out:
                shutil.copyfileobj(source, out, CHUNK)


def _decrypt(key: bytes, source: Path, dump: Path) -> Manifest:
    """Decrypt ``source`` into ``dump`` (plaintext, caller removes it); the manifest."""
    size = source.stat().st_size
    if size < len(MAGIC) + NONCE_BYTES + TAG_BYTES + 4:
        raise BackupError("不是本系统的备份文件（文件过短）。")
    with source.open("rb") as src, dump.open("wb") as out:
        if src.read(len(MAGIC)) != MAGIC:
            raise BackupError("不是本系统的备份文件（文件头不符）。")
        nonce = src.read(NONCE_BYTES)
        src.seek(size - TAG_BYTES)
        tag = src.read(TAG_BYTES)
        src.seek(len(MAGIC) + NONCE_BYTES)
        decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(MAGIC + nonce)
        remaining = size - len(MAGIC) - NONCE_BYTES - TAG_BYTES
        pending = b""  # the manifest's length and text, until the dump starts
        head_len: int | None = None
        while remaining:
            n = min(CHUNK, remaining)
            chunk = decryptor.update(src.read(n))
            remaining -= n
            if head_len is not None and len(pending) >= 4 + head_len:
                out.write(chunk)
                continue
            pending += chunk
            if head_len is None and len(pending) >= 4:
                head_len = struct.unpack(">I", pending[:4])[0]
            if head_len is not None and len(pending) >= 4 + head_len:
                out.write(pending[4 + head_len :])
        try:
            decryptor.finalize()
        except InvalidTag as exc:
            raise BackupError("备份文件已被改动或损坏，或备份密钥不符（完整性校验失败）。") from exc
    if head_len is None or len(pending) < 4 + head_len:
        raise BackupError("备份文件不完整。")
    return Manifest(**json.loads(pending[4 : 4 + head_len]))


# --- snapshot ---------------------------------------------------------------------------------


def _manifest_from(cursor: Any, vendor: str, tables: list[str]) -> Manifest:
    quote_name = connection.ops.quote_name
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {quote_name(table)}")  # noqa: S608 (introspected)
        counts[table] = int(cursor.fetchone()[0])
    audit_last = None
    if "audit_auditevent" in tables:
        cursor.execute("SELECT id, hash FROM audit_auditevent ORDER BY id DESC LIMIT 1")
        row = cursor.fetchone()
        audit_last = [int(row[0]), str(row[1])] if row else None
    migrations: list[list[str]] = []
    if "django_migrations" in tables:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        migrations = [[str(a), str(n)] for a, n in cursor.fetchall()]
    return Manifest(
        created_at=timezone.now().isoformat(),
        vendor=vendor,
        counts=counts,
        audit_last=audit_last,
        migrations=migrations,
    )


def _snapshot_sqlite(dump: Path) -> Manifest:
    """SQLite's online backup API through the application's own connection, in one step
    (a read lock for the whole copy: a consistent snapshot while others keep writing)."""
    import sqlite3

    connection.ensure_connection()
    target = sqlite3.connect(str(dump))
    try:
        connection.connection.backup(target)
        cursor = target.cursor()
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        tables = [r[0] for r in cursor.fetchall() if not r[0].startswith("sqlite_")]
        return _manifest_from(cursor, "sqlite", tables)
    finally:
        target.close()


def _pg_env(db: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    for var, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER")):
        if db.get(key):
            env[var] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise BackupError(
            f"找不到 {args[0]}：请安装 PostgreSQL 客户端（postgresql-client）。"
        ) from exc
    if done.returncode != 0:
        raise BackupError(f"{what}失败：{done.stderr.strip()[-500:]}")


def _snapshot_postgresql(dump: Path) -> Manifest:
    import psycopg

    db = connection.settings_dict
    params = {"dbname": db["NAME"], "host": db.get("HOST") or None, "port": db.get("PORT") or None}
    params |= {"user": db.get("USER") or None, "password": db.get("PASSWORD") or None}
    with psycopg.connect(**{k: v for k, v in params.items() if v}) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with conn.transaction(), conn.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            exported = cursor.fetchone()
            assert exported is not None
            snapshot = exported[0]
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            tables = [r[0] for r in cursor.fetchall()]
            manifest = _manifest_from(cursor, "postgresql", tables)
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    "-f",
                    str(dump),
                    db["NAME"],
                ],
                _pg_env(db),
                "pg_dump ",
            )
    return manifest


@contextmanager
def _private_tmp() -> Iterator[Path]:
    """A 0700 directory under PRIVATE_DIR for plaintext dumps, removed afterwards. Those a
    killed process left behind (older than a day: no backup or drill runs that long) go first."""
    base = Path(settings.PRIVATE_DIR) / "backup-tmp"
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    for stale in base.iterdir():
        if time.time() - stale.stat().st_mtime > STALE_SECONDS:
            shutil.rmtree(stale, ignore_errors=True)
    path = Path(tempfile.mkdtemp(dir=base))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@dataclass
class BackupResult:
    path: Path
    manifest: Manifest
    size: int


def backup_create(output_dir: Path | None = None, *, actor: Any) -> BackupResult:
    """Snapshot, encrypt, write ``dangjian-<time>.djbak`` into ``output_dir`` (default
    ``BACKUP_DIR``); audited. The file appears only when complete (written, then renamed)."""
    from dangjian.audit.services import audit_record

    output_dir = Path(output_dir or settings.BACKUP_DIR)
    output_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = backup_key(create=True)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S-%f")
    target = output_dir / f"dangjian-{stamp}.djbak"
    partial = target.with_suffix(".partial")
    with _private_tmp() as tmp:
        dump = tmp / "dump"
        if connection.vendor == "sqlite":
            manifest = _snapshot_sqlite(dump)
        elif connection.vendor == "postgresql":
            manifest = _snapshot_postgresql(dump)
        else:  # pragma: no cover - only the two supported databases
            raise BackupError(f"不支持的数据库：{connection.vendor}")
        files = _record_files()  # after the snapshot: a file it refers to is already there
        manifest.files = {
            folder: [len(paths), sum(p.stat().st_size for p in paths)]
            for folder, paths in files.items()
        }
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                _encrypt(key, manifest, dump, files, out)
        except OSError as exc:  # e.g. a file removed while it was being copied
            partial.unlink(missing_ok=True)
            raise BackupError(f"写入备份失败：{exc}") from exc
        partial.replace(target)
    size = target.stat().st_size
    audit_record(
        "backup_create",
        obj=("core.backup", target.name, target.name),
        actor=actor,
        changes={
            "file": str(target),
            "bytes": size,
            "tables": len(manifest.counts),
            "rows": sum(manifest.counts.values()),
            "audit_last_id": manifest.audit_last[0] if manifest.audit_last else None,
        },
    )
    return BackupResult(target, manifest, size)


def backup_daily(*, actor: Any, now: float | None = None) -> BackupResult | None:
    """The scheduler's daily backup: none while the newest in ``BACKUP_DIR`` is younger than
    23 hours (restarts do not multiply them); afterwards only the newest ``BACKUP_KEEP`` stay."""
    if not settings.BACKUP_DAILY:
        return None
    folder = Path(settings.BACKUP_DIR)
    existing = sorted(folder.glob("dangjian-*.djbak")) if folder.exists() else []
    now = time.time() if now is None else now
    if existing and now - existing[-1].stat().st_mtime < DAILY_SECONDS:
        return None
    result = backup_create(folder, actor=actor)
    for old in sorted(folder.glob("dangjian-*.djbak"))[: -max(1, settings.BACKUP_KEEP)]:
        old.unlink()
    return result


# --- the drill --------------------------------------------------------------------------------


def _scratch_url(db: dict[str, Any], name: str) -> str:
    user = quote(str(db.get("USER") or ""), safe="")
    password = quote(str(db.get("PASSWORD") or ""), safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{name}"


def restore_drill(
    backup_file: Path,
    *,
    key_file: Path | None = None,
    field_key_file: Path | None = None,
    actor: Any,
    progress: Callable[[str], None] = lambda _: None,
) -> DrillReport:
    """Restore ``backup_file`` into a scratch database and check it (see the module doc)."""
    from dangjian.audit.services import audit_record

    started = time.monotonic()
    key = backup_key(key_file)
    field_keys = Path(field_key_file or settings.FIELD_KEY_FILE)
    if not field_keys.exists():
        raise BackupError(f"找不到字段加密密钥文件 {field_keys}。")
    report = DrillReport(backup=str(backup_file), created_at="")
    name = Path(backup_file).name
    try:
        with _private_tmp() as tmp:
            progress("解密备份文件")
            payload, dump = tmp / "payload", tmp / "dump"
            manifest = _decrypt(key, Path(backup_file), payload)
            report.created_at = manifest.created_at
            data_dir = tmp / "data"
            (data_dir / "keys").mkdir(parents=True)
            _unpack(payload, dump, data_dir / "private")
            payload.unlink()
            files = sum(count for count, _ in manifest.files.values())
            report.checks.append(
                Check("解密与完整性", True, f"{len(manifest.counts)} 张表，{files} 个文件")
            )
            shutil.copyfile(field_keys, data_dir / "keys" / "field-keys.json")
            manifest_file = tmp / "manifest.json"
            manifest_file.write_text(json.dumps(asdict(manifest), ensure_ascii=False))
            env = dict(os.environ)
            env |= {
                "DANGJIAN_DATA_DIR": str(data_dir),
                "DANGJIAN_KEY_FILE": str(data_dir / "keys" / "field-keys.json"),
            }
            env.pop("DANGJIAN_TEST_DB_TEMPLATE", None)
            scratch: str | None = None
            db = connection.settings_dict
            try:
                progress("恢复到临时数据库")
                if manifest.vendor == "sqlite":
                    shutil.move(dump, data_dir / "dangjian.sqlite3")
                    env.pop("DATABASE_URL", None)
                elif manifest.vendor == "postgresql":
                    if connection.vendor != "postgresql":
                        raise BackupError("PostgreSQL 备份须在连接 PostgreSQL 的环境中演练。")
                    # named after this process: a leftover says who made it
                    scratch = f"{DRILL_PREFIX}{os.getpid()}_{secrets.token_hex(4)}"
                    with connection.cursor() as cursor:
                        cursor.execute(f'CREATE DATABASE "{scratch}" TEMPLATE template0')  # noqa: RUF100, S608 (prefix + hex)
                    _pg_restore(dump, scratch)
                    env["DATABASE_URL"] = _scratch_url(db, scratch)
                else:
                    raise BackupError(f"备份来自不支持的数据库：{manifest.vendor}")
                progress("在临时数据库上校验")
                report.checks += _checks_in_child(manifest_file, env)
            finally:
                if scratch is not None:
                    with connection.cursor() as cursor:
                        cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')  # noqa: RUF100, S608 (prefix + hex)
    except BackupError as exc:  # the file could not be read or restored: audited too
        audit_record(
            "backup_drill",
            obj=("core.backup", name, name),
            actor=actor,
            outcome="failure",
            changes={"error": str(exc)},
        )
        raise
    return _finish(report, "backup_drill", started=started, actor=actor)


def _pg_restore(dump: Path, database: str) -> None:
    _run(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "-d",
            database,
            str(dump),
        ],
        _pg_env(connection.settings_dict),
        "pg_restore ",
    )


def _checks_in_child(manifest_file: Path, env: dict[str, str]) -> list[Check]:
    """``check_restored`` in a new process with ``env`` (its database, data dir and keys)."""
    child = subprocess.run(
        [sys.executable, "-m", "dangjian", "backup", "check-restored", str(manifest_file)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        checks = json.loads(child.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        detail = (child.stderr or child.stdout).strip()[-800:]
        checks = [{"name": "校验进程", "ok": False, "detail": detail}]
    return [Check(**c) for c in checks]


def backup_restore(
    backup_file: Path,
    *,
    key_file: Path | None = None,
    replace: bool = False,
    actor: Any,
    progress: Callable[[str], None] = lambda _: None,
) -> DrillReport:
    """Recovery: restore ``backup_file`` into the configured database and PRIVATE_DIR (with the
    application stopped), then run the drill's checks on the result with the configured field
    keys. PostgreSQL restores only into an empty database (create one and point DATABASE_URL
    at it); an SQLite file that already holds tables is replaced only with ``replace``, and is
    then kept beside, renamed, rather than deleted. The restore is audited on the restored
    chain."""

    started = time.monotonic()
    key = backup_key(key_file)
    report = DrillReport(backup=str(backup_file), created_at="")
    with _private_tmp() as tmp:
        progress("解密备份文件")
        payload, dump, files = tmp / "payload", tmp / "dump", tmp / "private"
        manifest = _decrypt(key, Path(backup_file), payload)
        report.created_at = manifest.created_at
        if manifest.vendor != connection.vendor:
            raise BackupError(
                f"备份来自 {manifest.vendor} 数据库，当前配置的是 {connection.vendor}。"
            )
        _unpack(payload, dump, files)
        payload.unlink()
        tables = connection.introspection.table_names()
        progress("恢复数据库")
        if connection.vendor == "postgresql":
            if tables:
                raise BackupError(
                    "目标数据库不为空：请新建一个空库，让 DATABASE_URL 指向它后再恢复。"
                )
            _pg_restore(dump, str(connection.settings_dict["NAME"]))
        else:
            target = Path(str(connection.settings_dict["NAME"]))
            if tables and not replace:
                raise BackupError(
                    f"目标数据库 {target} 已有数据表；确认替换请加 --replace（原文件改名保留）。"
                )
            connection.close()
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
            for suffix in ("", "-wal", "-shm"):
                old = Path(f"{target}{suffix}")
                if old.exists():
                    old.rename(f"{target}.before-restore-{stamp}{suffix}")
            shutil.move(dump, target)
        progress("恢复附件文件")
        base = Path(settings.PRIVATE_DIR)
        for path in sorted(p for p in files.rglob("*") if p.is_file()):
            destination = base / path.relative_to(files)
            destination.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            shutil.move(path, destination)
        manifest_file = tmp / "manifest.json"
        manifest_file.write_text(json.dumps(asdict(manifest), ensure_ascii=False))
        progress("校验恢复结果")
        report.checks.append(Check("解密与完整性", True, f"{len(manifest.counts)} 张表"))
        report.checks += _checks_in_child(manifest_file, dict(os.environ))
    return _finish(report, "backup_restore", started=started, actor=actor)


def _finish(report: DrillReport, event: str, *, started: float, actor: Any) -> DrillReport:
    """Recovery time (since ``started``) and the backup's age on the report; the audit event."""
    from dangjian.audit.services import audit_record

    report.rto_seconds = round(time.monotonic() - started, 2)
    created = dt.datetime.fromisoformat(report.created_at)
    report.rpo_seconds = round((timezone.now() - created).total_seconds(), 2)
    name = Path(report.backup).name
    audit_record(
        event,
        obj=("core.backup", name, name),
        actor=actor,
        outcome="success" if report.ok else "failure",
        changes={
            "created_at": report.created_at,
            "rto_seconds": report.rto_seconds,
            "rpo_seconds": report.rpo_seconds,
            "failed": [c.name for c in report.checks if not c.ok],
        },
    )
    return report


def check_restored(manifest: Manifest) -> list[Check]:
    """Run in the process started on the scratch database: the drill's checks."""
    from django.db.migrations.executor import MigrationExecutor

    from dangjian.audit.services import audit_verify
    from dangjian.core import crypto
    from dangjian.people.models import Person, sealed_aad

    checks: list[Check] = []
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    missing = [f"{m.app_label}.{m.name}" for m, _ in plan]
    checks.append(
        Check(
            "数据库结构",
            not missing,
            "与本版本的迁移一致" if not missing else "未应用的迁移：" + "、".join(missing[:10]),
        )
    )
    tables = set(connection.introspection.table_names())
    wrong = []
    with connection.cursor() as cursor:
        for table, expected in manifest.counts.items():
            if table not in tables:
                wrong.append(f"{table} 缺失")
                continue
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 (introspected)
            actual = int(cursor.fetchone()[0])
            if actual != expected:
                wrong.append(f"{table} {actual}≠{expected}")
    rows = sum(manifest.counts.values())
    checks.append(
        Check(
            "行数",
            not wrong,
            f"{len(manifest.counts)} 张表共 {rows} 行一致" if not wrong else "；".join(wrong[:10]),
        )
    )
    verified = audit_verify()
    last = None
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, hash FROM audit_auditevent ORDER BY id DESC LIMIT 1")
        row = cursor.fetchone()
        last = [int(row[0]), str(row[1])] if row else None
    head_ok = verified.ok and last == manifest.audit_last
    checks.append(
        Check(
            "审计链",
            head_ok,
            f"校验通过，链尾记录 {last[0] if last else '-'} 与备份时一致"
            if head_ok
            else (
                verified.message()
                if not verified.ok
                else f"链尾 {last} ≠ 备份时 {manifest.audit_last}"
            ),
        )
    )
    checks.append(_check_files(manifest))
    sealed = Person.objects.exclude(citizen_id_sealed=None)
    columns = ("uid", "citizen_id_sealed", "citizen_id_bidx")
    half = SAMPLE_SIZE // 2  # the oldest and the newest: both ends of any key rotation
    sample = {
        row[0]: row
        for query in (sealed.order_by("pk"), sealed.order_by("-pk"))
        for row in query.values_list(*columns)[:half]
    }
    bad = 0
    for uid, value, bidx in sample.values():
        try:
            plain = crypto.open_sealed(value, sealed_aad(Person._meta.db_table, uid, "citizen_id"))
        except crypto.InvalidTag:
            bad += 1
            continue
        if crypto.blind_index(plain, "citizen_id") != bidx:
            bad += 1
    checks.append(
        Check(
            "密文抽样解密",
            bad == 0,
            f"抽样 {len(sample)} 个身份证号，解密与盲索引一致"
            if bad == 0
            else f"抽样 {len(sample)} 个中 {bad} 个无法用所给字段密钥解密或与盲索引不符",
        )
    )
    return checks


def _check_files(manifest: Manifest) -> Check:
    """Every folder that holds records came back whole, and every file the restored database
    refers to is there."""
    from dangjian.core.registries import record_file_folders

    base = Path(settings.PRIVATE_DIR)
    problems: list[str] = []
    total = 0
    files = _record_files()
    for folder, referenced in record_file_folders().items():
        present = files[folder]
        found = [len(present), sum(p.stat().st_size for p in present)]
        expected = manifest.files.get(folder, [0, 0])
        if found != expected:
            problems.append(f"{folder}：{found[0]} 个 {found[1]} 字节 ≠ 备份时 {expected[0]} 个")
        missing = [name for name in referenced() if not (base / folder / name).is_file()]
        if missing:
            problems.append(f"{folder}：数据库引用的 {len(missing)} 个文件缺失，如 {missing[0]}")
        total += found[0]
    if problems:
        return Check("附件文件", False, "；".join(problems[:10]))
    return Check("附件文件", True, f"{total} 个文件齐全，数据库引用的文件都在")
