"""Upload jobs: a large contribution file is stored first and read and checked in a Celery task
(``collection.tasks.upload_job_run``) through the same ``version_create`` as a small one.

Stages are stored as codes (``STAGES``); pages and upload.js show their labels. Only the start
and the end are written to the row: the finer stages go to the cache (shared with the web
processes through Redis; lost, not failing, while Redis is down), so reading and checking the
file writes nothing to the database (docs/faults.md).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.audit import event_record
from accounts.models import User
from collection.models import Contribution, ExportJob, UploadJob
from collection.services.versions import require_collector, require_drafting, version_create

log = logging.getLogger(__name__)

J = UploadJob.State
# stage code -> (progress %, label)
STAGES = {
    "queued": (0, gettext_lazy("Waiting for the checker")),
    "reading": (10, gettext_lazy("Reading the file")),
    "checking": (40, gettext_lazy("Checking the rows")),
    "storing": (75, gettext_lazy("Storing the version")),
    "done": (100, gettext_lazy("Done")),
    "refused": (100, gettext_lazy("The file was refused")),
    "stopped": (100, gettext_lazy("The check stopped")),
}
RETRYABLE = {"stopped"}  # a refused file is fixed by uploading a corrected one, not by a retry


def upload_size_check(size: int) -> None:
    """The same size cap, with the same message, for the inline path and the job path."""
    if size > settings.CAIJI_UPLOAD_MAX_BYTES:
        raise ValidationError(
            _(
                "The file is larger than %(mb)s MB. Upload only the table's sheet, "
                "without pictures or other sheets."
            )
            % {"mb": settings.CAIJI_UPLOAD_MAX_BYTES // (1024 * 1024)}
        )


def runs_in_background(size: int) -> bool:
    return size > settings.CAIJI_UPLOAD_INLINE_MAX_BYTES


@transaction.atomic
def upload_job_create(*, actor: User, contribution: Contribution, file: UploadedFile) -> UploadJob:
    """Store the file and queue its check (run after the commit; inline without a worker)."""
    contribution = Contribution.objects.select_for_update().get(pk=contribution.pk)
    require_collector(actor, contribution)
    require_drafting(contribution)
    size = file.size or 0
    upload_size_check(size)
    sha = hashlib.sha256()
    for chunk in file.chunks():
        sha.update(chunk)
    job = UploadJob(
        contribution=contribution,
        filename=(file.name or "upload.xlsx")[:255],
        size=size,
        sha256=sha.hexdigest(),
        created_by=actor,
        stage="queued",
    )
    file.seek(0)
    job.file.save(job.sha256, file, save=False)
    job.save()
    event_record(
        actor=actor,
        action="upload_job.create",
        obj=contribution,
        unit=contribution.unit,
        content_hash=job.sha256,
        data={"job": job.pk, "file": job.filename, "size": size},
    )
    _enqueue_on_commit(job.pk)
    return job


@transaction.atomic
def upload_job_retry(*, actor: User, job: UploadJob) -> UploadJob:
    """Queue a stopped job again (the uploader's way out when a worker died mid-check)."""
    job = UploadJob.objects.select_for_update().select_related("contribution__unit").get(pk=job.pk)
    contribution = job.contribution
    require_collector(actor, contribution)
    require_drafting(contribution)
    if not job_view(job)["retryable"]:
        raise ValidationError(
            _("This check is not stopped, so there is nothing to retry: %(state)s.")
            % {"state": job_view(job)["stage_label"]}
        )
    job.state, job.stage, job.progress, job.message = J.QUEUED, "queued", 0, ""
    job.save(update_fields=["state", "stage", "progress", "message", "updated_at"])
    event_record(
        actor=actor,
        action="upload_job.retry",
        obj=contribution,
        unit=contribution.unit,
        content_hash=job.sha256,
        data={"job": job.pk, "file": job.filename, "attempts": job.attempts},
    )
    _enqueue_on_commit(job.pk)
    return job


def _enqueue_on_commit(job_id: int) -> None:
    def enqueue() -> None:
        from collection.tasks import upload_job_run as task

        try:
            task.delay(job_id)
        except Exception:  # broker down: the app still checks uploads, inline (DESIGN: Runtime)
            log.exception("upload job %s: could not queue the task; running it inline", job_id)
            upload_job_run(job_id=job_id)

    transaction.on_commit(enqueue)


def upload_job_run(*, job_id: int) -> None:
    """Run one job: idempotent, so a redelivered task for a finished job does nothing, and a
    second delivery while the first still runs leaves it alone (unless it has gone stale)."""
    with transaction.atomic():
        job = UploadJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or not _may_start(job):
            return
        job.state, job.stage, job.attempts = J.RUNNING, "reading", job.attempts + 1
        job.progress = STAGES["reading"][0]
        job.save(update_fields=["state", "stage", "progress", "attempts", "updated_at"])
    attempt = job.attempts
    try:
        with job.file.open("rb") as stored:
            content = stored.read()
        version = version_create(
            actor=job.created_by,
            contribution=job.contribution,
            content=content,
            filename=job.filename,
            progress=lambda stage: _progress(job_id, stage),
        )
    except (ValidationError, PermissionDenied) as exc:
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        _finish(job_id, attempt, state=J.FAILED, stage="refused", message="\n".join(messages))
    except Exception:
        log.exception("upload job %s failed", job_id)
        _finish(job_id, attempt, state=J.FAILED, stage="stopped", message=_stopped_message())
    else:
        _finish(job_id, attempt, state=J.DONE, stage="done", version_id=version.pk)
    finally:
        cache.delete(_cache_key(job_id))


def _may_start(job: UploadJob) -> bool:
    if job.state == J.QUEUED:
        return True
    return job.state == J.RUNNING and job_is_stale(job)


def _progress(job_id: int, stage: str) -> None:
    cache.set(_cache_key(job_id), stage, timeout=settings.CAIJI_UPLOAD_JOB_STALE_SECONDS)


def _finish(job_id: int, attempt: int, *, state: str, stage: str, **fields: Any) -> None:
    with transaction.atomic():
        job = UploadJob.objects.select_for_update().get(pk=job_id)
        if job.attempts != attempt:  # retried meanwhile: the newer attempt reports
            return
        job.state, job.stage, job.progress = state, stage, STAGES[stage][0]
        job.message = fields.get("message", "")
        job.version_id = fields.get("version_id")
        job.save(update_fields=["state", "stage", "progress", "message", "version", "updated_at"])


def _cache_key(job_id: int) -> str:
    return f"caiji:upload_job:{job_id}"


def _stopped_message() -> str:
    return _("The check stopped before it finished. Press Retry, or upload the file again.")


def job_is_stale(job: UploadJob | ExportJob) -> bool:
    """A waiting or running job that has not moved for CAIJI_UPLOAD_JOB_STALE_SECONDS (upload and
    export jobs share the states and the limit)."""
    if job.state not in (J.QUEUED, J.RUNNING):
        return False
    limit = timedelta(seconds=settings.CAIJI_UPLOAD_JOB_STALE_SECONDS)
    return job.updated_at < timezone.now() - limit


def job_view(job: UploadJob) -> dict[str, Any]:
    """What a page or upload.js shows of a job: a stale one is shown as stopped."""
    state, stage, message = job.state, job.stage or "queued", job.message
    if job_is_stale(job):
        state, stage, message = J.FAILED, "stopped", _stopped_message()
    elif state == J.RUNNING:
        stage = cache.get(_cache_key(job.pk)) or stage
    progress = STAGES.get(stage, (job.progress, ""))[0]
    return {
        "id": job.pk,
        "filename": job.filename,
        "size": job.size,
        "state": str(state),
        "state_label": str(J(state).label),
        "stage": stage,
        "stage_label": str(STAGES[stage][1]) if stage in STAGES else stage,
        "progress": progress,
        "message": message,
        "attempts": job.attempts,
        "retryable": state == J.FAILED and stage in RETRYABLE,
        "finished": state in (J.DONE, J.FAILED),
        "version": job.version.number if job.version_id and job.version else None,
        "created_at": job.created_at,
    }


def jobs_shown(contribution: Contribution) -> list[dict[str, Any]]:
    """The jobs a contribution page lists: waiting or running ones, and failed ones not yet
    followed by a newer version."""
    jobs = contribution.upload_jobs.select_related("version").exclude(state=J.DONE)
    current = contribution.current_version
    if current is not None:
        jobs = jobs.filter(Q(created_at__gt=current.created_at) | ~Q(state=J.FAILED))
    return [job_view(job) for job in jobs[:20]]
