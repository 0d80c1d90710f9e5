"""Background tasks of the people registry: large Excel imports (run by the django-tasks worker).

The view stores the checked upload and creates a ``core.Job``; this task runs the same import
service as the in-request path and writes its progress (校验中 x/y → 写入中 → 完成) to the job.
"""

from __future__ import annotations

import logging

from django.utils import timezone
from django_tasks import task

from dangjian.core import context
from dangjian.core.models import Job

logger = logging.getLogger("dangjian.jobs")


@task()
def run_import(job_id: int) -> None:
    from dangjian.people.importing import import_dir, import_run

    job = Job.objects.select_related("owner").get(pk=job_id)
    with context.acting_as(job.owner, channel="job"):
        try:
            import_run(job)
        except Exception:
            logger.exception("import job %s failed", job_id)
            Job.objects.filter(pk=job_id).update(
                status=Job.Status.FAILED,
                phase="失败",
                message="导入失败：系统错误，未导入任何数据。请联系系统管理员。",
                finished_at=timezone.now(),
            )
            (import_dir() / job.input_file.rsplit("/", 1)[-1]).unlink(missing_ok=True)
