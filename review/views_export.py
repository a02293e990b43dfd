"""The office's export page: what a package would hold now, building one in the background,
and downloading finished packages (permission-checked and audited)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from collection.access import get_cycle
from collection.files import stored_response
from collection.models import Cycle, ExportJob
from review.export import UNAPPROVED_DIR, export_readiness
from review.export_jobs import (
    export_download_record,
    export_job_create,
    job_view,
    require_office,
)
from review.export_layout import export_layouts

JOBS_SHOWN = 20


def _office_cycle(request: HttpRequest, year: int) -> Cycle:
    cycle = get_cycle(request.user, year)  # type: ignore[arg-type]
    require_office(request.user)  # type: ignore[arg-type]
    return cycle


def _jobs(cycle: Cycle) -> list[dict[str, object]]:
    return [job_view(j) for j in cycle.exports.select_related("created_by")[:JOBS_SHOWN]]


def _job(cycle: Cycle, pk: int) -> ExportJob:
    return get_object_or_404(ExportJob.objects.select_related("created_by"), pk=pk, cycle=cycle)


@require_http_methods(["GET", "POST"])
def cycle_export(request: HttpRequest, year: int) -> HttpResponse:
    cycle = _office_cycle(request, year)
    if request.method == "POST":
        include = request.POST.get("include_unapproved") == "1"
        try:
            job = export_job_create(
                actor=request.user,  # type: ignore[arg-type]
                cycle=cycle,
                include_unapproved=include,
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            job.refresh_from_db()
            if job.state == ExportJob.State.DONE:
                messages.success(request, _("The package is ready: download it below."))
            elif job.state == ExportJob.State.FAILED:
                messages.error(request, job.message)
            else:
                messages.info(
                    request, _("The package is being built; this page shows when it is ready.")
                )
        return redirect("review:cycle_export", year=cycle.year)
    readiness = export_readiness(cycle)
    jobs = _jobs(cycle)
    return render(
        request,
        "review/cycle_export.html",
        {
            "cycle": cycle,
            "ready": readiness["ready"],
            "waiting": readiness["waiting"],
            **export_layouts(readiness),
            "unassigned": readiness["unassigned"],
            "jobs": jobs,
            "jobs_active": any(not j["finished"] for j in jobs),
            "unapproved_dir": UNAPPROVED_DIR,
        },
    )


@require_GET
def cycle_export_jobs(request: HttpRequest, year: int) -> HttpResponse:
    """The packages list alone, polled by htmx while one is being built."""
    cycle = _office_cycle(request, year)
    jobs = _jobs(cycle)
    return render(
        request,
        "review/cycle_export.html#jobs",
        {"cycle": cycle, "jobs": jobs, "jobs_active": any(not j["finished"] for j in jobs)},
    )


@require_GET
def cycle_export_download(request: HttpRequest, year: int, pk: int) -> FileResponse:
    cycle = _office_cycle(request, year)
    job = _job(cycle, pk)
    if not job_view(job)["downloadable"]:
        raise Http404
    try:
        handle = job.file.open("rb")
    except OSError:  # the file store lost it: say so rather than fail
        raise Http404 from None
    export_download_record(actor=request.user, job=job)  # type: ignore[arg-type]
    return stored_response(handle, job.filename, "application/zip")
