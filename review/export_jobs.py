"""Export packages built in the background (``review.tasks.export_job_run``) and downloaded by
the office through a permission-checked view; inline when no worker is running.

The package is written to a temporary file first and stored only when complete, so a stopped
build leaves no package behind. A job that has not moved for ``CAIJI_UPLOAD_JOB_STALE_SECONDS``
is shown as stopped, and the office starts a new one.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.audit import event_record
from accounts.models import User
from accounts.selectors import is_office
from collection.models import Cycle, ExportJob
from collection.services.jobs import job_is_stale  # same states, same staleness
from review.export import export_readiness, package_filename, package_write

log = logging.getLogger(__name__)

J = ExportJob.State
STAGES = {
    "queued": gettext_lazy("Waiting for the worker"),
    "building": gettext_lazy("Writing the tables"),
    "storing": gettext_lazy("Storing the package"),
    "done": gettext_lazy("Done"),
    "refused": gettext_lazy("Nothing could be exported"),
    "stopped": gettext_lazy("The export stopped"),
}


def require_office(actor: User) -> None:
    if not is_office(actor):
        raise PermissionDenied(
            _("Only the office of the leading group may export the data for the platform.")
        )


@transaction.atomic
def export_job_create(*, actor: User, cycle: Cycle, include_unapproved: bool) -> ExportJob:
    """Queue a package of the cycle (built after the commit; inline without a worker)."""
    require_office(actor)
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    readiness = export_readiness(cycle)
    if not readiness["ready"] and not (include_unapproved and readiness["waiting"]):
        raise ValidationError(
            _(
                "No table of the %(year)s cycle is approved yet, so there is nothing to export. "
                "Tables are exported after the college review group approves them."
            )
            % {"year": cycle.year}
        )
    job = ExportJob.objects.create(
        cycle=cycle,
        include_unapproved=include_unapproved,
        created_by=actor,
        stage="queued",
        filename=package_filename(cycle, include_unapproved=include_unapproved),
    )
    event_record(
        actor=actor,
        action="cycle.export_request",
        obj=cycle,
        data={"job": job.pk, "include_unapproved": include_unapproved},
    )

    def enqueue() -> None:
        from review.tasks import export_job_run as task

        try:
            task.delay(job.pk)
        except Exception:  # broker down: build it here (DESIGN: Runtime)
            log.exception("export job %s: could not queue the task; running it inline", job.pk)
            export_job_run(job_id=job.pk)

    transaction.on_commit(enqueue)
    return job


def export_job_run(*, job_id: int) -> None:
    """Build one package; a finished job, or one another worker is building, is left alone."""
    with transaction.atomic():
        job = (
            ExportJob.objects.select_for_update().select_related("cycle").filter(pk=job_id).first()
        )
        if job is None or not (job.state == J.QUEUED or job_is_stale(job)):
            return
        job.state, job.stage, job.progress, job.attempts = (
            J.RUNNING,
            "building",
            0,
            job.attempts + 1,
        )
        job.save(update_fields=["state", "stage", "progress", "attempts", "updated_at"])
    attempt = job.attempts

    def progress(done: int, total: int) -> None:
        ExportJob.objects.filter(pk=job_id, attempts=attempt).update(
            progress=min(95, done * 95 // max(total, 1)), updated_at=timezone.now()
        )

    try:
        with tempfile.TemporaryFile() as spool:
            package = package_write(
                job.cycle,
                spool,
                include_unapproved=job.include_unapproved,
                generated_by=job.created_by,
                filename=job.filename,
                progress=progress,
            )
            _set(job_id, attempt, stage="storing", progress=96)
            spool.seek(0)
            digest = hashlib.sha256()
            for chunk in iter(lambda: spool.read(1 << 20), b""):
                digest.update(chunk)
            size = spool.tell()
            spool.seek(0)
            with transaction.atomic():
                job = ExportJob.objects.select_for_update().get(pk=job_id)
                if job.attempts != attempt:
                    return
                job.file.save(job.filename, File(spool), save=False)
                job.state, job.stage, job.progress = J.DONE, "done", 100
                job.sha256, job.size = digest.hexdigest(), size
                job.tables, job.rows = len(package.tables), package.rows
                job.unapproved = package.unapproved
                job.message = "\n".join(package.warnings)  # layout warnings (export_layout)
                job.finished_at = timezone.now()
                job.save()
                event_record(
                    actor=job.created_by,
                    action="cycle.export",
                    obj=job.cycle,
                    content_hash=job.sha256,
                    data={
                        "job": job.pk,
                        "file": job.filename,
                        "tables": job.tables,
                        "rows": job.rows,
                        "unapproved": job.unapproved,
                        "complete": package.complete,
                    },
                )
    except ValidationError as exc:
        _set(job_id, attempt, state=J.FAILED, stage="refused", message="\n".join(exc.messages))
    except Exception:
        log.exception("export job %s failed", job_id)
        _set(
            job_id,
            attempt,
            state=J.FAILED,
            stage="stopped",
            message=_("The export stopped before it finished. Start it again."),
        )


def _set(job_id: int, attempt: int, **fields: Any) -> None:
    if fields.get("state") in (J.DONE, J.FAILED):
        fields["finished_at"] = timezone.now()
    ExportJob.objects.filter(pk=job_id, attempts=attempt).update(
        updated_at=timezone.now(), **fields
    )


def job_view(job: ExportJob) -> dict[str, Any]:
    """What the export page shows of a job: a stale one is shown as stopped."""
    state, stage, message = job.state, job.stage or "queued", job.message
    if job_is_stale(job):
        state, stage = J.FAILED, "stopped"
        message = _("The export stopped before it finished. Start it again.")
    return {
        "job": job,
        "state": str(state),
        "state_label": str(J(state).label),
        "stage_label": str(STAGES.get(stage, stage)),
        "progress": job.progress if state != J.DONE else 100,
        "message": message,
        "finished": state in (J.DONE, J.FAILED),
        "downloadable": state == J.DONE and bool(job.file),
    }


def export_download_record(*, actor: User, job: ExportJob) -> None:
    """The office downloads a package: audited, as every copy of the data that leaves."""
    require_office(actor)
    event_record(
        actor=actor,
        action="cycle.export_download",
        obj=job.cycle,
        content_hash=job.sha256,
        data={"job": job.pk, "file": job.filename},
    )
