"""Background generation of ledger files (run by the django-tasks worker)."""

from __future__ import annotations

import logging

from django.utils import timezone
from django_tasks import task

from dangjian.core import context
from dangjian.core.models import Job

logger = logging.getLogger("dangjian.jobs")


@task()
def run_ledger(job_id: int) -> None:
    from dangjian.ledgers.services import ledger_run

    job = Job.objects.select_related("owner").get(pk=job_id)
    with context.acting_as(job.owner, channel="job"):
        try:
            ledger_run(job)
        except Exception as exc:
            logger.exception("ledger job %s failed", job_id)
            Job.objects.filter(pk=job_id).update(
                status=Job.Status.FAILED,
                phase="失败",
                message=f"台帐生成失败：{exc}",
                finished_at=timezone.now(),
            )
