from itertools import groupby

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.selectors import college_roles_of_user, is_office, unit_roles_of_user
from collection import selectors
from collection.access import get_cycle
from collection.forms import CycleDatesForm
from collection.services import specs as spec_services
from review import workflow
from review.selectors import (
    mark_acting_for,
    my_units,
    report_work_items_for_user,
    work_items_for_user,
)


def home(request: HttpRequest) -> HttpResponse:
    """My work: what waits for me in each of my roles (filled by the workflow)."""
    user = request.user
    mine = my_units(user)  # type: ignore[arg-type]
    units = mine.by_role
    work_items = list(work_items_for_user(user, units))  # type: ignore[arg-type]
    report_items = list(report_work_items_for_user(user, units))  # type: ignore[arg-type]
    mark_acting_for(work_items, report_items, mine.acting_for)
    return render(
        request,
        "review/home.html",
        {
            "unit_roles": unit_roles_of_user(user),  # type: ignore[arg-type]
            "college_roles": college_roles_of_user(user),  # type: ignore[arg-type]
            "work_items": work_items,
            "report_items": report_items,
            "cycle": selectors.cycle_latest(),
            "template_units": _template_units(user),  # type: ignore[arg-type]
        },
    )


def _template_units(user: object) -> list[object]:
    """The units whose templates the person downloads (those they hold a unit role in)."""
    seen: dict[int, object] = {}
    for unit, _role in unit_roles_of_user(user):  # type: ignore[arg-type]
        seen.setdefault(unit.pk, unit)
    return list(seen.values())


@require_http_methods(["GET", "POST"])
def cycle_detail(request: HttpRequest, year: int) -> HttpResponse:
    """A cycle: its stage, dates and tables; the office edits dates and moves the stage."""
    cycle = get_cycle(request.user, year, edit=request.method == "POST")  # type: ignore[arg-type]
    form = CycleDatesForm(request.POST or None, instance=cycle)
    if request.method == "POST" and form.is_valid():
        try:
            spec_services.cycle_dates_update(
                actor=request.user, cycle=cycle, values=form.cleaned_data
            )  # type: ignore[arg-type]
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The dates have been saved."))
            return redirect("review:cycle_detail", year=cycle.year)
    tables = list(selectors.table_list(cycle))
    categories = [(name, list(group)) for name, group in groupby(tables, key=lambda t: t.category)]
    return render(
        request,
        "collection/cycle_detail.html",
        {
            "cycle": cycle,
            "categories": categories,
            "table_count": len(tables),
            "form": form,
            "can_edit": is_office(request.user),  # type: ignore[arg-type]
            "transitions": workflow.cycle_transitions(cycle, request.user),  # type: ignore[arg-type]
        },
        status=422 if form.errors else 200,
    )


@require_POST
def cycle_advance(request: HttpRequest, year: int) -> HttpResponse:
    cycle = get_cycle(request.user, year, edit=True)  # type: ignore[arg-type]
    try:
        cycle = workflow.cycle_advance(
            actor=request.user, cycle=cycle, reason=request.POST.get("reason", "")
        )  # type: ignore[arg-type]
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("The cycle is now at the stage: %(stage)s.") % {"stage": cycle.get_status_display()},
        )
    return redirect("review:cycle_detail", year=year)
