"""Cycles, table specs and templates."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import office_required
from accounts.models import Unit
from accounts.selectors import is_office
from collection import selectors
from collection.access import get_cycle, get_table
from collection.dependencies import table_prerequisites
from collection.excel.reader import read_headers
from collection.excel.template import build_template, build_templates_zip
from collection.forms import (
    CycleCreateForm,
    CycleSupplementsForm,
    FieldSpecForm,
    TemplateUploadForm,
)
from collection.models import Cycle, FieldSpec, TableSpec
from collection.schema import RejectedFile
from collection.services import specs as spec_services
from collection.services.assignments import cycle_supplements_set
from collection.services.breakdown_copy import breakdown_copy_last
from collection.services.closed import closed_message
from collection.specdiff import diff_headers

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(content: bytes, filename: str, content_type: str) -> HttpResponse:
    from urllib.parse import quote

    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def cycle_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "collection/cycle_list.html",
        {
            "cycles": selectors.cycle_list(),
            "form": CycleCreateForm(),
            "can_edit": is_office(request.user),  # type: ignore[arg-type]
        },
    )


@office_required
@require_POST
def cycle_create(request: HttpRequest) -> HttpResponse:
    form = CycleCreateForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "collection/cycle_list.html",
            {"cycles": selectors.cycle_list(), "form": form, "can_edit": True},
            status=422,
        )
    year, previous = form.cleaned_data["year"], form.cleaned_data["previous"]
    try:
        if previous:
            cycle = spec_services.cycle_create_from_previous(
                actor=request.user, previous=previous, year=year
            )  # type: ignore[arg-type]
        elif Cycle.objects.filter(year=year).exists():
            raise ValidationError(_("The %(year)s cycle already exists.") % {"year": year})
        else:
            cycle, _added = spec_services.catalog_load(actor=request.user, year=year)  # type: ignore[arg-type]
    except ValidationError as exc:
        form.add_error("year", exc)
        return render(
            request,
            "collection/cycle_list.html",
            {"cycles": selectors.cycle_list(), "form": form, "can_edit": True},
            status=422,
        )
    messages.success(request, _("The %(year)s cycle has been created.") % {"year": cycle.year})
    if previous:
        _breakdown_copy_messages(request, cycle)
    return redirect("review:cycle_detail", year=cycle.year)


def _breakdown_copy_messages(request: HttpRequest, cycle: Cycle) -> None:
    """Say what the new cycle took over of last year's task breakdown."""
    report = breakdown_copy_last(cycle)
    if report is None:
        return
    names = {"year": report.source_year, "count": len(report.copied)}
    if report.copied:
        messages.info(
            request,
            _(
                "%(count)s rows of the %(year)s task breakdown were copied, with deadlines one "
                "year later. It is not published yet: check it, then publish it."
            )
            % names,
        )
    if report.missing_tables:
        messages.warning(
            request,
            _("Not copied, because this cycle no longer has the table: %(tables)s.")
            % {"tables": "、".join(report.missing_tables)},
        )
    for code, unit, role in report.inactive_units:
        text = (
            _("%(table)s: the responsible unit %(unit)s is inactive, so the row was not copied.")
            if role == "responsible"
            else _("%(table)s: the inactive assisting unit %(unit)s was left out.")
        )
        messages.warning(request, text % {"table": code, "unit": unit})


def cycle_changes(request: HttpRequest, year: int) -> HttpResponse:
    cycle = get_cycle(request.user, year)  # type: ignore[arg-type]
    return render(
        request,
        "collection/cycle_changes.html",
        {
            "cycle": cycle,
            "changes": selectors.cycle_changes(cycle),
        },
    )


@require_POST
def cycle_supplements(request: HttpRequest, year: int) -> HttpResponse:
    """The office chooses the supplementary table sets the college fills (cycle page)."""
    cycle = get_cycle(request.user, year, edit=True)  # type: ignore[arg-type]
    form = CycleSupplementsForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(
                _("Tick only the supplementary table sets listed; nothing was changed.")
            )
        cycle = cycle_supplements_set(
            actor=request.user,  # type: ignore[arg-type]
            cycle=cycle,
            supplements=form.cleaned_data["supplements"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("review:cycle_detail", year=year)
    _supplements_messages(request, cycle)
    return redirect("review:cycle_detail", year=year)


def _supplements_messages(request: HttpRequest, cycle: Cycle) -> None:
    chosen = selectors.chosen_sets(cycle)
    names = "、".join(str(selectors.SET_LABELS[s]) for s in chosen) or _("no supplementary set")  # type: ignore[index]
    messages.success(request, _("Supplementary table sets saved: %(sets)s.") % {"sets": names})
    if kept := selectors.tables_outside_sets(cycle):
        messages.warning(
            request,
            _(
                "These tables belong to a set that is no longer ticked but are in the task "
                "breakdown, so they are still collected: %(tables)s."
            )
            % {"tables": "、".join(t.code for t in kept)},
        )
    in_scope = set(selectors.tables_in_scope(cycle).values_list("supplement", flat=True))
    for supplement in chosen:
        if supplement not in in_scope:
            messages.info(request, empty_set_message(supplement))


def empty_set_message(supplement: str) -> str:
    return _(
        "%(set)s: this cycle has no table of the set yet. Its tables appear once you load "
        "this year's template pack (加载本年度模板包) on the cycle page."
    ) % {"set": selectors.SET_LABELS[supplement]}  # type: ignore[index]


def cycle_templates(request: HttpRequest, year: int) -> HttpResponse:
    """Every template of the cycle as a zip, or only the tables ticked (?table=…&table=…)."""
    cycle = get_cycle(request.user, year)  # type: ignore[arg-type]
    wanted = set(request.GET.getlist("table"))
    tables = [t for t in selectors.tables_in_scope(cycle) if not wanted or t.code in wanted]
    if not tables:
        raise Http404
    content = build_templates_zip(
        [selectors.table_schema(t) for t in tables], cycle_year=cycle.year
    )
    suffix = "" if not wanted else f"（{len(tables)}张表）"
    return _attachment(content, f"{cycle.year}年度采集模板{suffix}.zip", "application/zip")


def unit_templates(request: HttpRequest, year: int, unit_id: int) -> HttpResponse:
    """Every template a unit fills in the cycle (from the 分工表), as one zip."""
    from accounts.selectors import unit_roles_of_user

    cycle = get_cycle(request.user, year)  # type: ignore[arg-type]
    unit = get_object_or_404(Unit, pk=unit_id)
    mine = {u.pk for u, _role in unit_roles_of_user(request.user)}  # type: ignore[arg-type]
    if (
        unit.pk not in mine
        and getattr(request.user, "unit_id", None) != unit.pk
        and not is_office(request.user)
    ):  # type: ignore[arg-type]
        raise Http404
    tables = selectors.tables_of_unit(cycle, unit.pk)
    if not tables:
        messages.info(
            request,
            _("%(unit)s has no table in the %(year)s task breakdown yet.")
            % {"unit": unit, "year": year},
        )
        return redirect("review:cycle_detail", year=year)
    content = build_templates_zip(
        [selectors.table_schema(t) for t in tables], cycle_year=cycle.year
    )
    return _attachment(content, f"{cycle.year}年度采集模板（{unit.name}）.zip", "application/zip")


def table_detail(request: HttpRequest, year: int, code: str) -> HttpResponse:
    table = get_table(request.user, year, code)  # type: ignore[arg-type]
    schema = selectors.table_schema(table)
    return render(
        request,
        "collection/table_detail.html",
        {
            "cycle": table.cycle,
            "table": table,
            "fields": table.fields.all(),
            "schema": schema,
            "prerequisites": table_prerequisites(table),
            "can_edit": is_office(request.user) and not table.cycle.is_closed,  # type: ignore[arg-type]
        },
    )


def table_template(request: HttpRequest, year: int, code: str) -> HttpResponse:
    table = get_table(request.user, year, code)  # type: ignore[arg-type]
    content = build_template(
        selectors.table_schema(table), cycle_year=year, spec_version=table.spec_version
    )
    return _attachment(content, f"{table.code} {table.name}.xlsx", XLSX)


@require_http_methods(["GET", "POST"])
def field_edit(request: HttpRequest, year: int, code: str, pk: int) -> HttpResponse:
    table = get_table(request.user, year, code, edit=True)  # type: ignore[arg-type]
    if table.cycle.is_closed:
        return _closed(request, table)
    field = get_object_or_404(FieldSpec.objects.select_related("code_list"), pk=pk, table=table)
    form = FieldSpecForm(
        request.POST or None,
        instance=FieldSpec.objects.select_related("code_list").get(pk=field.pk),
    )
    if request.method == "POST" and form.is_valid():
        try:
            spec_services.field_spec_update(actor=request.user, field=field, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Column “%(name)s” has been saved.") % {"name": field.name})
            return redirect("collection:table_detail", year=year, code=code)
    return render(
        request,
        "collection/field_form.html",
        {"table": table, "field": field, "form": form},
        status=422 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def table_refresh(request: HttpRequest, year: int, code: str) -> HttpResponse:
    """Upload the platform's blank template, see the column differences, then apply them."""
    table = get_table(request.user, year, code, edit=True)  # type: ignore[arg-type]
    if table.cycle.is_closed:
        return _closed(request, table)
    session_key = f"refresh-{table.pk}"
    if request.method == "POST" and "apply" in request.POST:
        headers = request.session.pop(session_key, None)
        if not headers:
            messages.error(request, _("This preview has expired. Upload the template again."))
            return redirect("collection:table_refresh", year=year, code=code)
        try:
            spec_services.table_spec_refresh(actor=request.user, spec=table, headers=headers)  # type: ignore[arg-type]
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("collection:table_refresh", year=year, code=code)
        messages.success(
            request,
            _("The columns of %(table)s now follow the platform's template.") % {"table": table},
        )
        return redirect("collection:table_detail", year=year, code=code)
    form = TemplateUploadForm(request.POST or None, request.FILES or None)
    context = {"table": table, "form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            headers = read_headers(upload.read(), upload.name)
        except RejectedFile as exc:
            form.add_error("file", str(exc))
        else:
            request.session[session_key] = headers
            context["diff"] = diff_headers([f.name for f in table.fields.all()], headers)
            context["headers"] = headers
    return render(
        request, "collection/table_refresh.html", context, status=422 if form.errors else 200
    )


def _closed(request: HttpRequest, table: TableSpec) -> HttpResponse:
    """A closed cycle's specs no longer change: say so on the table's page."""
    messages.error(request, closed_message(table.cycle))
    return redirect("collection:table_detail", year=table.cycle.year, code=table.code)
