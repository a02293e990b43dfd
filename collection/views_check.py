"""The 校验 page: anyone signed in checks a filled template without submitting anything."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from collection import selectors
from collection.excel.annotate import annotate
from collection.files import XLSX, attachment_response, upload_for_user
from collection.forms import CheckForm
from collection.models import Upload
from collection.schema import CycleDates, Severity, catalog_schemas
from collection.services.uploads import findings_from_upload, sheet_from_upload, upload_check
from config.ratelimit import upload_limit


def _tables() -> tuple[object, list[tuple[str, str]]]:
    cycle = selectors.cycle_latest()
    if cycle is None:
        return None, [(code, f"{code} {s.name}") for code, s in catalog_schemas().items()]
    return cycle, [(t.code, f"{t.code} {t.name}") for t in selectors.table_list(cycle)]


@require_http_methods(["GET", "POST"])
@upload_limit
def check(request: HttpRequest) -> HttpResponse:
    cycle, tables = _tables()
    form = CheckForm(
        request.POST or None,
        request.FILES or None,
        tables=tables,
        initial={"table": request.GET.get("table")},
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > settings.CAIJI_UPLOAD_MAX_BYTES:
            form.add_error(
                "file",
                _(
                    "The file is larger than %(mb)s MB. Upload only the table's sheet, without pictures or other sheets."
                )
                % {"mb": settings.CAIJI_UPLOAD_MAX_BYTES // (1024 * 1024)},
            )
        else:
            code = form.cleaned_data["table"]
            schema = selectors.schema_for(code, cycle)  # type: ignore[arg-type]
            dates = cycle.dates() if cycle else CycleDates.for_year(_this_year())  # type: ignore[attr-defined]
            outcome = upload_check(
                actor=request.user,
                cycle=cycle,
                schema=schema,
                dates=dates,  # type: ignore[arg-type]
                content=upload.read(),
                filename=upload.name,
            )
            if outcome.upload.status == Upload.Status.REJECTED:
                form.add_error("file", outcome.upload.reason)
            else:
                return _result(request, outcome.upload)
    return render(
        request,
        "collection/check.html",
        {"form": form, "cycle": cycle},
        status=422 if form.errors else 200,
    )


def _this_year() -> int:
    from django.utils import timezone

    return timezone.localdate().year


def check_result(request: HttpRequest, pk: int) -> HttpResponse:
    """A 校验 upload's findings; a contribution's upload is read on its own pages."""
    upload, version = upload_for_user(request.user, pk)  # type: ignore[arg-type]
    if version is not None:
        return redirect("review:contribution_detail", version.contribution_id)
    return _result(request, upload)


def _result(request: HttpRequest, upload: Upload) -> HttpResponse:
    findings = findings_from_upload(upload)
    severity = request.GET.get("severity", "")
    column = request.GET.get("column", "")
    columns = sorted({f.column for f in findings if f.column})
    shown = [
        f
        for f in findings
        if (not severity or f.severity == severity) and (not column or f.column == column)
    ]
    page = Paginator(shown, 200).get_page(request.GET.get("page"))
    return render(
        request,
        "collection/check_result.html",
        {
            "upload": upload,
            "page": page,
            "severity": severity,
            "column": column,
            "columns": columns,
            "severities": list(Severity),
            "total": len(findings),
        },
    )


def check_annotated(request: HttpRequest, pk: int) -> HttpResponse:
    upload, version = upload_for_user(request.user, pk)  # type: ignore[arg-type]
    if version is not None:
        return redirect("review:version_annotated", version.contribution_id, version.number)
    schema = selectors.schema_for(upload.table_code, upload.cycle)
    if schema is None:
        raise Http404
    content = annotate(sheet_from_upload(upload, schema), findings_from_upload(upload))
    stem = upload.filename.rsplit(".", 1)[0]
    return attachment_response(content, f"{stem}（校验结果）.xlsx", XLSX)
