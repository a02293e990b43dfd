"""Celery tasks: ids in, one service call (STYLE.md). Eager (inline) when REDIS_URL is unset."""

from __future__ import annotations

from celery import shared_task

from review import reminders


@shared_task(acks_late=True, ignore_result=True)
def deadline_reminders() -> int:
    """Today's deadline reminders (Celery beat, daily); running it twice sends nothing twice."""
    return reminders.deadline_reminders()


@shared_task(acks_late=True, ignore_result=True)
def export_job_run(job_id: int) -> None:
    """Build a queued export package (ExportJob); safe to deliver twice."""
    from review import export_jobs

    export_jobs.export_job_run(job_id=job_id)
