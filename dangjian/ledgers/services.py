"""Generate ledger files in the background (Job + django-tasks), serve them to their owner only
(``core:job_download``), delete them after ``security.export_ttl_hours`` (PI-05/RIP-02)."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from dangjian.audit.services import audit_record
from dangjian.core.models import Job
from dangjian.core.rules import rule
from dangjian.core.scope import assert_in_scope, has_permission
from dangjian.ledgers.models import Ledger
from dangjian.ledgers.render import WRITERS
from dangjian.ledgers.selectors import branch_get, build_ledger

JOB_KIND = "ledger"


def ledger_dir() -> Path:
    path = Path(settings.PRIVATE_DIR) / "ledgers"
    path.mkdir(parents=True, exist_ok=True)
    return path


def check_year(year: int) -> None:
    today = timezone.localdate()
    if not 2000 <= year <= today.year:
        raise ValidationError({"year": f"年度应在 2000 至 {today.year} 之间。"})


@transaction.atomic
def ledger_start(*, actor: Any, branch_id: int, year: int, fmt: str) -> Job:
    """Record the request and enqueue the generation once the transaction commits."""
    if not has_permission(actor, Ledger, "export"):
        raise PermissionDenied("您没有下载标准化台帐的权限。")
    branch = branch_get(user=actor, pk=branch_id, action="export")
    if branch is None:
        raise Http404
    if fmt not in WRITERS:
        raise ValidationError({"fmt": "不支持的格式。"})
    check_year(year)
    job = Job.objects.create(
        kind=f"{JOB_KIND}:{fmt}",
        owner=actor,
        params={"branch": branch.pk, "year": year, "fmt": fmt},
        phase="排队中",
    )
    ledger = Ledger.objects.create(branch=branch, year=year, fmt=fmt, job=job, created_by=actor)
    assert_in_scope(ledger, actor, "export")
    audit_record(
        "export",
        obj=ledger,
        actor=actor,
        changes={"branch": branch.name, "year": year, "format": fmt},
    )
    from dangjian.ledgers.tasks import run_ledger

    transaction.on_commit(lambda: run_ledger.enqueue(job_id=job.pk))
    return job


def ledger_run(job: Job) -> None:
    """Build and write the file (the worker calls this as the job's owner)."""
    ledger_purge()
    params = job.params
    # re-checked in the worker: a role revoked since the request no longer generates anything
    branch = branch_get(user=job.owner, pk=int(params["branch"]), action="export")
    if branch is None:
        raise PermissionDenied("该台帐超出您的数据权限范围。")
    year, fmt = int(params["year"]), str(params["fmt"])
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, phase="正在汇总")

    def progress(done: int, total: int, title: str) -> None:
        Job.objects.filter(pk=job.pk).update(done=done, total=total + 1, phase=f"正在汇总：{title}")

    data = build_ledger(branch, year, progress)
    total = len(data.sections) + 1
    Job.objects.filter(pk=job.pk).update(done=total - 1, total=total, phase="正在生成文件")
    name = f"{branch.name}-{year}年度标准化台帐-{uuid.uuid4().hex[:8]}.{fmt}"
    path = ledger_dir() / name
    WRITERS[fmt](data, path)
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.SUCCEEDED,
        phase="已完成",
        done=total,
        total=total,
        output_file=str(path.relative_to(settings.PRIVATE_DIR)),
        finished_at=timezone.now(),
        result={"sections": len(data.sections), "rows": sum(len(s.rows) for s in data.sections)},
    )


def ledger_purge(now: dt.datetime | None = None) -> int:
    """Delete ledger files older than their time to live; returns how many were removed."""
    now = now or timezone.now()
    ttl = dt.timedelta(hours=int(rule("security.export_ttl_hours")))
    removed = 0
    for path in ledger_dir().iterdir():
        if not path.is_file():
            continue
        modified = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
        if now - modified > ttl:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
