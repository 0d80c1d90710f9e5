"""Excel export of any table as a background job (PI-05, IN-07, RIP-02).

An app registers an exporter: a function ``(user, params) -> (headers, rows)`` whose rows come
from the app's *scoped* selector for the job's owner, so an export can never contain more than
the owner may see. The job streams rows into a write-only workbook (flat memory), records the
row count and columns in the audit trail, and the file is deleted after its time to live.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dangjian.core.models import Job

Exporter = Callable[[Any, dict[str, Any]], tuple[list[str], Iterable[Iterable[Any]]]]
PROGRESS_EVERY = 5000


class CountedRows:
    """Rows of an exporter that can say up front how many there will be (the progress bar).

    ``count`` is called once when the job starts (e.g. ``queryset.count``); the rows are still
    streamed lazily.
    """

    def __init__(self, rows: Iterable[Iterable[Any]], count: Callable[[], int]) -> None:
        self.rows = rows
        self.count = count

    def __iter__(self) -> Iterator[Iterable[Any]]:
        return iter(self.rows)


_exporters: dict[str, tuple[str, Exporter]] = {}


def register_export(key: str, title: str) -> Callable[[Exporter], Exporter]:
    def decorator(func: Exporter) -> Exporter:
        _exporters[key] = (title, func)
        return func

    return decorator


def exporter(key: str) -> tuple[str, Exporter]:
    return _exporters[key]


def export_dir() -> Path:
    path = Path(settings.PRIVATE_DIR) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


class TooManyExports(Exception):
    """More exports in the last hour than ``security.exports_per_hour`` allows (IN-06); the
    page answers 429 (``core.middleware.TooManyRequestsMiddleware``)."""

    def __init__(self, limit: int, retry_after: int) -> None:
        super().__init__(f"导出过于频繁：每人每小时最多导出 {limit} 次，请稍后再试。")
        self.retry_after = retry_after


def export_start(*, user: Any, key: str, params: dict[str, Any]) -> Job:
    """Create the job and enqueue it once the transaction commits; refused with
    :class:`TooManyExports` above the hourly limit per user (every kind of export counts)."""
    from dangjian.core.rules import rule
    from dangjian.core.tasks import run_export

    if key not in _exporters:
        raise KeyError(key)
    limit = int(rule("security.exports_per_hour"))
    since = timezone.now() - dt.timedelta(hours=1)
    recent = list(
        Job.objects.filter(owner=user, kind__startswith="export:", created_at__gte=since)
        .order_by("created_at")
        .values_list("created_at", flat=True)[:limit]
    )
    if len(recent) >= limit:
        wait = recent[0] + dt.timedelta(hours=1) - timezone.now()
        raise TooManyExports(limit, max(1, int(wait.total_seconds()) + 1))
    job = Job.objects.create(kind=f"export:{key}", owner=user, params=params, phase="排队中")
    transaction.on_commit(lambda: run_export.enqueue(job_id=job.pk))
    return job


def export_watermark(user: Any, when: dt.datetime | None = None) -> str:
    """Who exported, when: printed on every page of the file and kept in its properties, so
    that a copy that leaves the organisation can be traced (PI-05)."""
    name = getattr(user, "display_name", "") or ""
    username = getattr(user, "username", "") or "system"
    who = f"{name}（{username}）" if name and name != username else username
    moment = timezone.localtime(when or timezone.now())
    return f"党建精细管控平台 · {who} 导出于 {moment:%Y-%m-%d %H:%M} · 仅限内部工作使用，严禁外传"


def export_run(job: Job) -> None:
    """Write the workbook for a job (called by the task worker)."""
    from dangjian.audit.services import audit_record
    from dangjian.core.excel import write_xlsx
    from dangjian.core.rules import rule

    key = job.kind.split(":", 1)[1]
    title, func = _exporters[key]
    headers, rows = func(job.owner, job.params)
    cap = int(rule("security.export_row_cap"))
    name = f"{title}-{timezone.localtime():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}.xlsx"
    path = export_dir() / name
    total = min(rows.count(), cap) if isinstance(rows, CountedRows) else 0
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, phase="正在生成", done=0, total=total
    )

    def capped() -> Iterable[Iterable[Any]]:
        for index, row in enumerate(rows):
            if index >= cap:
                break
            if index and index % PROGRESS_EVERY == 0:
                Job.objects.filter(pk=job.pk).update(done=index)
            yield row

    count = write_xlsx(path, headers, capped(), title=title, watermark=export_watermark(job.owner))
    audit_record(
        "export",
        obj=("export", key, title),
        actor=job.owner,
        changes={"columns": headers, "rows": count, "params": job.params},
    )
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.SUCCEEDED,
        phase="已完成",
        done=count,
        total=count,
        output_file=str(path.relative_to(settings.PRIVATE_DIR)),
        finished_at=timezone.now(),
        result={"rows": count},
    )
    from dangjian.accounts.alerts import access_check  # PI-09 (accounts owns the alert)

    access_check(actor=job.owner, kind="export")


def export_purge(now: dt.datetime | None = None) -> int:
    """Delete export files older than their time to live; returns how many were removed."""
    from dangjian.core.rules import rule

    now = now or timezone.now()
    ttl = dt.timedelta(hours=int(rule("security.export_ttl_hours")))
    removed = 0
    for path in export_dir().glob("*.xlsx"):
        modified = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
        if now - modified > ttl:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


class OutputGone(Exception):
    """The job's result file was downloaded once and deleted (PI-05); the message says so."""


def job_output_hand_over(*, job: Job) -> tuple[Any, str] | None:
    """Open the job's result file for its one download and forget it (PI-05): the row no
    longer names it, the download is audited, the file is deleted (the open handle still
    reads it). None when there is no such file; ``OutputGone`` when it was handed over."""
    from dangjian.audit.services import audit_record

    base = Path(settings.PRIVATE_DIR).resolve()
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if not locked.output_file:
            if locked.result.get("downloaded_at"):
                raise OutputGone(
                    "为保护个人信息，结果文件只能下载一次，下载后即已删除。如需再次获取，请重新导出。"
                )
            return None
        path = (base / locked.output_file).resolve()
        if not path.is_relative_to(base) or not path.exists():
            return None
        handle = path.open("rb")
        locked.output_file = ""
        locked.result = {**locked.result, "downloaded_at": timezone.now().isoformat()}
        locked.save(update_fields=["output_file", "result"])
        audit_record(
            "job_download",
            obj=("core.job", str(locked.uid), locked.kind),
            changes={"kind": locked.kind, "file": path.name},
        )
    path.unlink(missing_ok=True)
    return handle, path.name
