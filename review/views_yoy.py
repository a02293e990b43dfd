"""Year over year: this year beside last year (a contribution, a whole table), and the office's
import of last year's package (collection/services/yoy.py, review/yoy_import.py)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.selectors import is_office
from collection.access import get_cycle
from collection.models import TableReport, TableReportState
from collection.schema import TableSchema
from collection.selectors import table_schema
from collection.services.merge import SOURCE_COLUMN, merged_rows
from collection.services.uploads import unpack
from collection.services.versions import upload_rows
from collection.services.yoy import (
    LastYear,
    Thresholds,
    aligned,
    last_year_for_contribution,
    last_year_for_report,
    owned_fields,
    thresholds_for,
    yoy_summary,
)
from review.access import (
    RowScope,
    get_contribution_for_user,
    get_report_for_user,
    report_row_scope,
)
from review.forms import PackageImportForm
from review.views_online import COMPARE_PER_PAGE, _compare_item, _entries
from review.yoy_import import previous_import


@require_GET
def contribution_yoy(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = get_contribution_for_user(request.user, pk)  # type: ignore[arg-type]
    schema = table_schema(contribution.assignment.table)
    version = contribution.current_version
    last = last_year_for_contribution(contribution, schema)
    rows: list[list[str]] = []
    if version is not None:
        headers, stored = upload_rows(version.upload)
        rows = aligned(headers, stored, schema.headers)
    thresholds = thresholds_for(contribution.assignment.table)
    fields = owned_fields(contribution, schema)
    context = _context(request, schema, rows, last, fields, thresholds)
    context |= {
        "contribution": contribution,
        "assignment": contribution.assignment,
        "has_data": version is not None,
        "unit_name": contribution.unit.name,
    }
    return render(request, "review/yoy.html", context)


@require_GET
def report_yoy(request: HttpRequest, pk: int) -> HttpResponse:
    """The whole table beside last year's; an assisting unit's people compare their own
    units' rows of both years (by 来源单位), never the other units'."""
    report = get_report_for_user(request.user, pk)  # type: ignore[arg-type]
    scope = report_row_scope(request.user, report)  # type: ignore[arg-type]
    schema = table_schema(report.assignment.table)
    headers, rows = _this_year(report, scope)
    names = None if scope.everything else scope.names
    last = last_year_for_report(report, schema, names=names)
    rows = aligned(headers, rows, schema.headers)
    context = _context(request, schema, rows, last, None, thresholds_for(report.assignment.table))
    context |= {
        "report": report,
        "assignment": report.assignment,
        "has_data": bool(rows),
        "own_rows_only": not scope.everything,
        "unit_name": "、".join(sorted(scope.names)),
    }
    return render(request, "review/yoy.html", context)


def _this_year(report: TableReport, scope: RowScope) -> tuple[list[str], list[list[str]]]:
    """The approved rows once approved, else the merge of the delivered contributions; only
    the rows ``scope`` may read."""
    if report.state in (TableReportState.APPROVED, TableReportState.UPLOADED) and (
        report.merged_blob
    ):
        data = unpack(report.merged_blob) or {}
        assert isinstance(data, dict)
        headers, rows = list(data.get("headers", [])), list(data.get("rows", []))
        if not scope.everything:
            where = headers.index(SOURCE_COLUMN) if SOURCE_COLUMN in headers else None
            rows = [
                r
                for r in rows
                if where is not None and where < len(r) and scope.allows_name(r[where])
            ]
        return headers, rows
    merged = merged_rows(report)
    if scope.everything:
        return merged.headers, merged.rows
    return merged.headers, [
        row
        for row, (code, _n) in zip(merged.rows, merged.sources, strict=False)
        if scope.allows_code(code)
    ]


def _context(
    request: HttpRequest,
    schema: TableSchema,
    rows: list[list[str]],
    last: LastYear | None,
    fields: list[str] | None,
    thresholds: Thresholds,
) -> dict[str, object]:
    context: dict[str, object] = {
        "schema": schema,
        "last": last,
        "single": schema.row_mode == "single",
    }
    if last is None:
        return context
    summary = yoy_summary(schema, rows, last.rows, thresholds, fields=fields)
    show = request.GET.get("show", "")
    page = Paginator(_entries(summary.comparison, show), COMPARE_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return context | {
        "summary": summary,
        "show": show if show in {"changed", "added", "removed"} else "",
        "page": page,
        "items": [_compare_item(summary.comparison, entry) for entry in page],
    }


@require_http_methods(["GET", "POST"])
def previous_import_view(request: HttpRequest, year: int) -> HttpResponse:
    """The office uploads last year's exported package (a .zip of one file per table)."""
    cycle = get_cycle(request.user, year, edit=True)  # type: ignore[arg-type]
    form = PackageImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["package"]
        try:
            result = previous_import(actor=request.user, cycle=cycle, content=upload.read())  # type: ignore[arg-type]
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if result.imported:
                messages.success(
                    request,
                    _("%(count)s table(s) of %(year)s imported as approved data.")
                    % {"count": len(result.tables), "year": result.year},
                )
                for t in result.tables:
                    if t.errors:
                        messages.warning(
                            request,
                            _(
                                "%(table)s: %(count)s value(s) do not pass this year's rules; "
                                "imported as they were approved."
                            )
                            % {"table": t.code, "count": t.errors},
                        )
                return redirect("review:previous_import", year=cycle.year)
    previous = cycle.previous
    imported = (
        TableReport.objects.filter(assignment__cycle=previous)
        .exclude(state=TableReportState.COLLECTING)
        .select_related("assignment__table")
        .order_by("assignment__position")
        if previous is not None
        else TableReport.objects.none()
    )
    failed = result is not None and not result.imported
    return render(
        request,
        "review/previous_import.html",
        {
            "cycle": cycle,
            "form": form,
            "result": result,
            "previous": previous,
            "approved": imported,
            "can_import": is_office(request.user)  # type: ignore[arg-type]
            and not cycle.is_closed
            and not (previous is not None and previous.is_closed),
        },
        status=422 if failed or form.errors else 200,
    )
