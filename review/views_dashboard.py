"""The progress dashboard (进度看板): the office, the college leadership and the college-wide
groups see the whole college with filters; a unit head sees their unit's dashboard. Read-only:
it changes nothing, and only the office gets the links to the office's own pages.

One view serves the page and, for htmx polling every 30 s, its live part."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.models import Unit, User
from accounts.roles import CollegeRole, UnitRole
from accounts.selectors import has_college_role, is_office
from collection import selectors as collection_selectors
from collection.access import get_cycle
from review import dashboard as selectors
from review.dashboard_report import progress_chart, progress_workbook
from review.selectors import unit_ids_by_role

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Viewer:
    """What the person sees: the whole college (``unit`` = the filter, if any) or one unit
    they head (``head_units`` = every unit they head, to switch between)."""

    college: bool
    office: bool
    unit: Unit | None
    head_units: list[Unit]


def viewer_for(user: User, unit_param: str) -> Viewer:
    """Who may see the dashboard, and which part: PermissionDenied (403) for anyone else."""
    unit_id = int(unit_param) if unit_param.isdigit() else None
    if any(has_college_role(user, role) for role in CollegeRole):
        unit = Unit.objects.filter(pk=unit_id).first() if unit_id else None
        return Viewer(college=True, office=is_office(user), unit=unit, head_units=[])
    heads = list(Unit.objects.filter(pk__in=unit_ids_by_role(user)[UnitRole.HEAD]))
    if not heads:
        raise PermissionDenied(
            _(
                "Only the office, the college leadership, the collection group, the college "
                "review group and unit heads see the progress dashboard."
            )
        )
    unit = next((u for u in heads if u.pk == unit_id), heads[0])
    return Viewer(college=False, office=False, unit=unit, head_units=heads)


@require_GET
def dashboard_latest(request: HttpRequest) -> HttpResponse:
    """The navigation's link: the dashboard of the latest cycle."""
    viewer_for(request.user, "")  # type: ignore[arg-type]
    cycle = collection_selectors.cycle_latest()
    if cycle is None:
        messages.info(request, _("There is no collection cycle yet: the office creates one."))
        return redirect("collection:cycle_list")
    return redirect("review:dashboard", year=cycle.year)


@require_GET
def dashboard(request: HttpRequest, year: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    viewer = viewer_for(user, request.GET.get("unit", ""))
    cycle = get_cycle(user, year)
    category = request.GET.get("category", "")
    board = selectors.dashboard(
        cycle, category=category, unit_id=viewer.unit.pk if viewer.unit else None
    )
    _add_links(board)
    context = {
        "board": board,
        "cycle": cycle,
        "viewer": viewer,
        "filters": {"category": category, "unit": viewer.unit.pk if viewer.unit else None},
        "query": request.GET.urlencode(),
        "stages": selectors.STAGES,
        # The page lists the first rows; the progress report has every one.
        "overdue": board.overdue[: selectors.LIST_LIMIT],
        "overdue_more": max(0, len(board.overdue) - selectors.LIST_LIMIT),
        "due_soon": board.due_soon[: selectors.LIST_LIMIT],
        "due_soon_more": max(0, len(board.due_soon) - selectors.LIST_LIMIT),
        "chart": mark_safe(progress_chart(board.progress)),  # pygal's SVG, without scripts
    }
    template = "review/dashboard.html" + ("#live" if request.htmx else "")  # type: ignore[attr-defined]
    return render(request, template, context)


def _add_links(board: selectors.Dashboard) -> None:
    """Each table's and each listed contribution's address (one ``reverse`` per kind: a page
    of a hundred tables would otherwise spend more time in ``{% url %}`` than in the database)."""
    marker = 2_147_483_647
    report = reverse("review:report_detail", args=[marker])
    contribution = reverse("review:contribution_detail", args=[marker])
    for t in board.tables:
        t.url = report.replace(str(marker), str(t.report_id))  # type: ignore[attr-defined]
    limit = selectors.LIST_LIMIT
    for _t, c in board.overdue[:limit] + board.due_soon[:limit]:
        c.url = contribution.replace(str(marker), str(c.pk))  # type: ignore[attr-defined]


@require_GET
def dashboard_export(request: HttpRequest, year: int) -> HttpResponse:
    """The progress report as .xlsx, with the same scope and filters as the page."""
    user: User = request.user  # type: ignore[assignment]
    viewer = viewer_for(user, request.GET.get("unit", ""))
    cycle = get_cycle(user, year)
    board = selectors.dashboard(
        cycle,
        category=request.GET.get("category", ""),
        unit_id=viewer.unit.pk if viewer.unit else None,
    )
    response = HttpResponse(progress_workbook(board), content_type=XLSX)
    name = _("Progress %(year)s") % {"year": cycle.year}
    if viewer.unit:
        name += f" {viewer.unit.name}"
    response["Content-Disposition"] = content_disposition_header(True, f"{name}.xlsx")
    return response
