"""Completeness (查缺补漏, ``review:completeness``): what is missing per table and unit in a
cycle, with filters by unit and category and an .xlsx export. College-wide roles see the whole
cycle (leadership read-only: the page has no actions); a unit's people see the tables their
units contribute to; anyone else gets 403."""

from __future__ import annotations

import io

import xlsxwriter
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.models import User
from collection.access import get_cycle
from collection.models import Cycle
from config.xlsx import TextCells
from review.completeness import Completeness, completeness_for_user, sees_whole_cycle
from review.selectors import unit_ids_by_role


def _load(request: HttpRequest, year: int) -> tuple[Cycle, Completeness, dict[str, str]]:
    user: User = request.user  # type: ignore[assignment]
    cycle = get_cycle(user, year)
    if not sees_whole_cycle(user) and not any(unit_ids_by_role(user).values()):
        raise PermissionDenied(
            _(
                "Completeness is for the office, the college-wide groups, leadership and the "
                "units' people: you hold no role in any unit."
            )
        )
    filters = {
        "unit": request.GET.get("unit", "").strip()[:20],
        "category": request.GET.get("category", "").strip()[:100],
    }
    return cycle, completeness_for_user(user, cycle, **filters), filters


@require_GET
def completeness(request: HttpRequest, year: int) -> HttpResponse:
    cycle, data, filters = _load(request, year)
    return render(
        request,
        "review/completeness.html",
        {"cycle": cycle, "data": data, "filters": filters, "query": request.GET.urlencode()},
    )


@require_GET
def completeness_export(request: HttpRequest, year: int) -> HttpResponse:
    cycle, data, _filters = _load(request, year)
    response = HttpResponse(
        completeness_xlsx(data),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="completeness-{cycle.year}.xlsx"'
    return response


def completeness_xlsx(data: Completeness) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    cells = TextCells(book)  # names typed by users stay text, never a formula
    bold = cells.format({"bold": True})
    sheet = book.add_worksheet(_("Missing")[:31])
    headers = [
        _("Table"),
        _("Table name"),
        _("Category"),
        _("Unit"),
        _("Role"),
        _("State"),
        _("Deadline"),
        _("Late"),
        _("Current version"),
        _("Rows read"),
        _("Required fields empty"),
        _("Table not started"),
    ]
    cells.write_row(sheet, 0, 0, headers, bold)
    for n, i in enumerate(data.items, start=1):
        c = i.contribution
        version = c.current_version
        values = [
            i.table.code,
            i.table.name,
            i.table.category,
            c.unit.name,
            _("responsible") if i.responsible else _("assisting"),
            str(c.get_state_display()),
            i.deadline.isoformat() if i.deadline else "",
            _("yes") if i.late else "",
            str(version.number) if version else "",
            str(version.row_count) if version else "",
            "；".join(f"{name} {count}" for name, count in i.empty_required),
            _("yes") if not i.table_started else "",
        ]
        cells.write_row(sheet, n, 0, values)
    if data.not_in_breakdown:
        other = book.add_worksheet(_("Not in the breakdown")[:31])
        cells.write_row(other, 0, 0, [_("Table"), _("Table name"), _("Category")], bold)
        for n, table in enumerate(data.not_in_breakdown, start=1):
            cells.write_row(other, n, 0, [table.code, table.name, table.category])
    book.close()
    return out.getvalue()
