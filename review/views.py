from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Unit, User
from accounts.roles import UnitRole
from accounts.selectors import college_roles_of_user, is_office, unit_roles_of_user
from collection import selectors
from collection.access import get_cycle
from collection.forms import CycleDatesForm, CycleSupplementsForm
from collection.models import Cycle, TableReportState
from collection.services import specs as spec_services
from collection.services.closed import closed_message
from review import workflow
from review.forms import CycleCloseForm
from review.selectors import (
    mark_acting_for,
    my_units,
    report_work_items_for_user,
    work_items_for_user,
)
from review.workflow import cycle as closing


def home(request: HttpRequest) -> HttpResponse:
    """My work: what waits for me in each of my roles (filled by the workflow)."""
    user = request.user
    mine = my_units(user)  # type: ignore[arg-type]
    units = mine.by_role
    work_items = list(work_items_for_user(user, units))  # type: ignore[arg-type]
    report_items = list(report_work_items_for_user(user, units))  # type: ignore[arg-type]
    mark_acting_for(work_items, report_items, mine.acting_for)
    unit_roles = unit_roles_of_user(user)  # type: ignore[arg-type]
    return render(
        request,
        "review/home.html",
        {
            "unit_roles": unit_roles,
            "college_roles": college_roles_of_user(user),  # type: ignore[arg-type]
            "work_items": work_items,
            "report_items": report_items,
            "cycle": selectors.cycle_latest(),
            "template_units": _template_units(unit_roles),
        },
    )


def _template_units(unit_roles: list[tuple[Unit, UnitRole]]) -> list[Unit]:
    """The units whose templates the person downloads (those they hold a unit role in)."""
    seen: dict[int, Unit] = {}
    for unit, _role in unit_roles:
        seen.setdefault(unit.pk, unit)
    return list(seen.values())


@require_http_methods(["GET", "POST"])
def cycle_detail(request: HttpRequest, year: int) -> HttpResponse:
    """A cycle: its stage, dates and tables; the office edits dates and moves the stage."""
    cycle = get_cycle(request.user, year, edit=request.method == "POST")  # type: ignore[arg-type]
    if request.method == "POST" and cycle.is_closed:
        messages.error(request, closed_message(cycle))
        return redirect("review:cycle_detail", year=cycle.year)
    form = CycleDatesForm(request.POST or None, instance=cycle)
    if request.method == "POST" and form.is_valid():
        try:
            spec_services.cycle_dates_update(
                actor=request.user,  # type: ignore[arg-type]
                cycle=cycle,
                values=form.cleaned_data,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The dates have been saved."))
            return redirect("review:cycle_detail", year=cycle.year)
    tables = list(selectors.tables_in_scope(cycle))
    return render(
        request,
        "collection/cycle_detail.html",
        {
            "cycle": cycle,
            "categories": selectors.table_groups(cycle, tables),
            "table_count": len(tables),
            "form": form,
            "supplements_form": CycleSupplementsForm(initial={"supplements": cycle.supplements}),
            "can_edit": is_office(request.user) and not cycle.is_closed,  # type: ignore[arg-type]
            "can_export": is_office(request.user),  # type: ignore[arg-type]
            "transitions": workflow.cycle_transitions(cycle, request.user),  # type: ignore[arg-type]
        },
        status=422 if form.errors else 200,
    )


@require_POST
def cycle_advance(request: HttpRequest, year: int) -> HttpResponse:
    cycle = get_cycle(request.user, year, edit=True)  # type: ignore[arg-type]
    try:
        cycle = workflow.cycle_advance(
            actor=request.user,  # type: ignore[arg-type]
            cycle=cycle,
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("The cycle is now at the stage: %(stage)s.") % {"stage": cycle.get_status_display()},
        )
    return redirect("review:cycle_detail", year=year)


@require_http_methods(["GET", "POST"])
def cycle_close(request: HttpRequest, year: int) -> HttpResponse:
    """Mark the cycle 已上传 and close it (the office): GET shows what closing does and which
    tables still keep it open; POST closes it."""
    cycle = get_cycle(request.user, year, edit=True)  # type: ignore[arg-type]
    form = CycleCloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            workflow.cycle_close(
                actor=request.user,  # type: ignore[arg-type]
                cycle=cycle,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("The %(year)s cycle is marked as uploaded and closed: it is read-only now.")
                % {"year": cycle.year},
            )
            return redirect("review:cycle_detail", year=cycle.year)
    return render(
        request,
        "review/cycle_close.html",
        {"cycle": cycle, "form": form, **_close_preview(cycle, request.user)},  # type: ignore[arg-type]
        status=422 if form.errors else 200,
    )


def _close_preview(cycle: Cycle, user: User) -> dict[str, object]:
    """What closing would do now, and why it cannot yet (the same check the closing runs)."""
    reports = closing.cycle_reports(cycle)
    try:
        closing.close_check(cycle, user, reports)
    except (PermissionDenied, ValidationError) as exc:
        refusal = " ".join(getattr(exc, "messages", [str(exc)]))
    else:
        refusal = ""
    return {
        "refusal": refusal,
        "to_mark": [r for r in reports if r.state == TableReportState.APPROVED],
        "uploaded": [r for r in reports if r.state == TableReportState.UPLOADED],
        "waiting": closing.not_ready(reports),
        "package": closing.latest_package(cycle),
    }
