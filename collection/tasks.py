"""Celery tasks: ids in, one service call (STYLE.md). Eager (inline) when REDIS_URL is unset."""

from __future__ import annotations

from celery import shared_task

from collection.services import crosscheck, jobs


@shared_task(acks_late=True, ignore_result=True)
def upload_job_run(job_id: int) -> None:
    """Read and check a stored upload (UploadJob); safe to deliver twice."""
    jobs.upload_job_run(job_id=job_id)


@shared_task(acks_late=True, ignore_result=True)
def crosscheck_refresh_reports(report_ids: list[int]) -> None:
    """Re-check the cross-table rules of these table reports and store the results."""
    crosscheck.crosscheck_refresh_ids(report_ids=report_ids)
