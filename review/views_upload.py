"""Uploading a contribution's versions (inline, or as a background UploadJob for a large
file, with a JSON answer for static/js/upload.js) and downloading a version's file and annotated
workbook. Everything loads the contribution through ``get_contribution_for_user``."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from collection.excel.annotate import Remark, annotate
from collection.files import XLSX, attachment_response, upload_response
from collection.models import Contribution, UploadJob, Version
from collection.selectors import table_schema
from collection.services.jobs import (
    job_view,
    runs_in_background,
    upload_job_create,
    upload_job_retry,
    upload_size_check,
)
from collection.services.uploads import findings_from_upload, sheet_from_upload
from collection.services.versions import require_collector, version_create
from config.ratelimit import upload_limit
from review.access import get_contribution_for_user
from review.forms import VersionUploadForm
from review.models import Review
from review.views_contribution import _act, _jobs_context, _page, _row_number

log = logging.getLogger(__name__)


@require_POST
@upload_limit
def contribution_upload(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = get_contribution_for_user(request.user, pk)  # type: ignore[arg-type]
    require_collector(request.user, contribution)  # type: ignore[arg-type]
    form = VersionUploadForm(request.POST, request.FILES)
    if form.is_valid():
        file = form.cleaned_data["file"]
        try:
            upload_size_check(file.size)
            if runs_in_background(file.size):
                job = upload_job_create(actor=request.user, contribution=contribution, file=file)  # type: ignore[arg-type]
                return _job_started(request, contribution, job, form)
            version = version_create(
                actor=request.user,  # type: ignore[arg-type]
                contribution=contribution,
                content=file.read(),
                filename=file.name,
            )
        except ValidationError as exc:
            form.add_error("file", exc)
        except DatabaseError:
            # The connection dropped mid-upload: the transaction rolled back, nothing is kept
            # as accepted; say so and let the person upload again (docs/faults.md).
            log.exception("upload to contribution %s: database error", contribution.pk)
            form.add_error("file", _database_lost_message())
        else:
            return _version_saved(request, contribution, version)
    if _wants_json(request):
        return JsonResponse({"errors": _file_errors(form)}, status=422)
    return _page(request, contribution, upload_form=form, status=422)


def _database_lost_message() -> str:
    return _(
        "The connection to the database was lost while your file was being saved, so nothing "
        "was saved. Upload the file again in a minute; if this keeps happening, tell the office."
    )


def _file_errors(form: VersionUploadForm) -> list[str]:
    return [str(e) for e in form.errors.get("file", [])] or [
        str(e) for e in form.non_field_errors()
    ]


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


def _version_saved(
    request: HttpRequest, contribution: Contribution, version: Version
) -> HttpResponse:
    notify = messages.warning if version.error_count else messages.success
    notify(request, _version_message(version.number, version.error_count))
    url = reverse("review:contribution_detail", args=[contribution.pk])
    if _wants_json(request):
        return JsonResponse({"state": "done", "redirect": url})
    return redirect(url)


def _job_started(
    request: HttpRequest, contribution: Contribution, job: UploadJob, form: VersionUploadForm
) -> HttpResponse:
    """Without a worker the job has already run (inline): answer as the inline path does."""
    job.refresh_from_db()
    if job.state == UploadJob.State.DONE and job.version is not None:
        return _version_saved(request, contribution, job.version)
    if job.state == UploadJob.State.FAILED:
        form.add_error("file", job.message)
        if _wants_json(request):
            return JsonResponse({"errors": _file_errors(form)}, status=422)
        return _page(request, contribution, upload_form=form, status=422)
    if _wants_json(request):
        return JsonResponse(_job_json(contribution, job), status=202)
    messages.info(
        request,
        _("The file is large: it is being checked in the background. This page shows how far."),
    )
    return redirect(reverse("review:contribution_detail", args=[contribution.pk]) + "#upload-jobs")


def _job_json(contribution: Contribution, job: UploadJob) -> dict[str, Any]:
    data = job_view(job)
    data.pop("created_at")
    data["status_url"] = reverse("review:upload_job_status", args=[contribution.pk, job.pk])
    data["redirect"] = reverse("review:contribution_detail", args=[contribution.pk])
    return data


@require_GET
def upload_job_status(request: HttpRequest, pk: int, job_pk: int) -> HttpResponse:
    contribution = get_contribution_for_user(request.user, pk)  # type: ignore[arg-type]
    job = get_object_or_404(contribution.upload_jobs.select_related("version"), pk=job_pk)
    return JsonResponse(_job_json(contribution, job))


@require_GET
def contribution_jobs(request: HttpRequest, pk: int) -> HttpResponse:
    """The upload jobs block, polled by htmx while a job runs; reloads the page when none
    runs any more, so the new version or the failure shows."""
    contribution = get_contribution_for_user(request.user, pk)  # type: ignore[arg-type]
    context = _jobs_context(request.user, contribution)  # type: ignore[arg-type]
    response = render(request, "review/contribution_detail.html#jobs", context)
    if request.htmx and not context["jobs_active"]:  # type: ignore[attr-defined]
        response["HX-Refresh"] = "true"
    return response


@require_POST
def upload_job_retry_view(request: HttpRequest, pk: int, job_pk: int) -> HttpResponse:
    contribution = get_contribution_for_user(request.user, pk)  # type: ignore[arg-type]
    job = get_object_or_404(contribution.upload_jobs, pk=job_pk)
    return _act(
        request,
        contribution,
        lambda actor, c: upload_job_retry(actor=actor, job=job),
        _("The check of %(file)s is started again.") % {"file": job.filename},
    )


# Downloads ------------------------------------------------------------------------------------


def _version_of(request: HttpRequest, pk: int, number: int) -> tuple[Contribution, Version]:
    contribution = get_contribution_for_user(request.user, pk)  # type: ignore[arg-type]
    version = get_object_or_404(contribution.versions.select_related("upload"), number=number)
    return contribution, version


@require_GET
def version_file(request: HttpRequest, pk: int, number: int) -> FileResponse:
    """The file as it was uploaded, for anyone who may see the contribution now; typed by the
    kind the upload checks verified, never by its name (collection/files.py)."""
    _contribution, version = _version_of(request, pk, number)
    return upload_response(version.upload)


@require_GET
def version_annotated(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """The version's rows with its findings and the remarks of returns given on it."""
    contribution, version = _version_of(request, pk, number)
    schema = table_schema(contribution.assignment.table)
    returns = contribution.reviews.filter(  # type: ignore[attr-defined]
        decision=Review.Decision.RETURN, version=version
    ).select_related("reviewer")
    remarks = [
        Remark(
            row=_row_number(m.get("row")),
            column=str(m.get("column") or ""),
            text=m["text"],
            author=r.reviewer.name or r.reviewer.username,
        )
        for r in returns
        for m in r.remarks
        if m.get("text")
    ]
    upload = version.upload
    content = annotate(sheet_from_upload(upload, schema), findings_from_upload(upload), remarks)
    stem = upload.filename.rsplit(".", 1)[0]
    return attachment_response(content, f"{stem}（第{version.number}版 校验结果）.xlsx", XLSX)


def _version_message(number: int, errors: int) -> str:
    if errors:
        return _(
            "Version %(number)s is saved with %(count)s error(s): correct them in the file "
            "and upload it again."
        ) % {"number": number, "count": errors}
    return _("Version %(number)s is saved.") % {"number": number}
