"""The task breakdown (分工表) pages: the grid, editing a row, the sheet, publishing.

Everyone signed in reads the grid and its sheet; only the office changes or publishes it.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from import_export.results import Result

from accounts import services as accounts_services
from accounts.forms import ImportUploadForm, StyledForm
from accounts.importing import ImportFileError, read_sheet
from accounts.models import Unit, User
from accounts.selectors import is_office
from collection.access import get_cycle
from collection.breakdown_io import (
    COLUMNS,
    HEADERS,
    KEY_HEADER,
    BreakdownResource,
    breakdown_rows,
    unassigned_tables,
)
from collection.models import Assignment, Cycle, TableSpec
from collection.selectors import chosen_sets, tables_fields_pending, tables_in_scope
from collection.services.assignments import assignment_set, breakdown_publish
from collection.views import XLSX, _attachment, empty_set_message


def _day_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AssignmentForm(StyledForm, forms.Form):
    responsible_unit = forms.ModelChoiceField(
        label=gettext_lazy("Responsible unit"), queryset=Unit.objects.filter(active=True)
    )
    assisting_units = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Assisting units"),
        queryset=Unit.objects.filter(active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    assisting_deadline = forms.DateField(
        label=gettext_lazy("Assisting units deliver by"), required=False, widget=_day_input()
    )
    responsible_deadline = forms.DateField(
        label=gettext_lazy("Responsible unit delivers by"), required=False, widget=_day_input()
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assisting_units"].widget.attrs["class"] = "form-check-input"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        responsible = data.get("responsible_unit")
        if responsible and responsible in (data.get("assisting_units") or []):
            self.add_error(
                "assisting_units",
                _("%(unit)s is already the responsible unit; untick it among the assisting units.")
                % {"unit": responsible.name},
            )
        return data


def _cycle_for_edit(user: User, year: int) -> Cycle:
    cycle = get_cycle(user, year, edit=True)
    if cycle.is_closed:
        raise PermissionDenied(
            _("The %(year)s cycle is done: its task breakdown can no longer be changed.")
            % {"year": year}
        )
    return cycle


def fields_pending_message(tables: list[TableSpec], *, published: bool) -> str:
    """What to do about tables of the 分工表 whose columns are 字段待确认."""
    names = {"tables": "、".join(f"{t.code} {t.name}" for t in tables)}
    if published:
        text = _(
            "These tables were published while their columns are still pending (字段待确认): "
            "%(tables)s. Load this year's template pack (加载本年度模板包) on the cycle page so "
            "that their columns follow the platform's templates, then ask their units to "
            "download the templates again."
        )
    else:
        text = _(
            "The columns of these tables are still pending (字段待确认): %(tables)s. Their "
            "units would fill provisional templates. Load this year's template pack "
            "(加载本年度模板包) on the cycle page first, so that their columns follow the "
            "platform's templates; you may still publish now."
        )
    return text % names


@require_GET
def breakdown(request: HttpRequest, year: int) -> HttpResponse:
    cycle = get_cycle(request.user, year)  # type: ignore[arg-type]
    rows = breakdown_rows(cycle)
    present = {row.table.supplement for row in rows}
    can_edit = is_office(request.user) and not cycle.is_closed  # type: ignore[arg-type]
    pending = tables_fields_pending(cycle) if can_edit else []
    return render(
        request,
        "collection/breakdown.html",
        {
            "cycle": cycle,
            "rows": rows,
            "unassigned": [row.table for row in rows if row.assignment is None],
            "empty_sets": [empty_set_message(s) for s in chosen_sets(cycle) if s not in present],
            "fields_pending": fields_pending_message(pending, published=False) if pending else "",
            "can_edit": can_edit,
        },
    )


@require_http_methods(["GET", "POST"])
def breakdown_row(request: HttpRequest, year: int, code: str) -> HttpResponse:
    cycle = _cycle_for_edit(request.user, year)  # type: ignore[arg-type]
    table = tables_in_scope(cycle).filter(code=code).first()
    if table is None:  # not in the cycle, or of a supplementary set the cycle does not fill
        raise Http404
    current = Assignment.objects.filter(cycle=cycle, table=table).first()
    initial = {}
    if current:
        initial = {
            "responsible_unit": current.responsible_unit,
            "assisting_units": list(current.assisting_units.all()),
            "assisting_deadline": current.assisting_deadline,
            "responsible_deadline": current.responsible_deadline,
            "notes": current.notes,
        }
    form = AssignmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            assignment_set(
                actor=request.user,  # type: ignore[arg-type]
                cycle=cycle,
                table=table,
                field_owners=current.field_owners if current else None,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The row of %(table)s has been saved.") % {"table": code})
            return redirect("collection:breakdown", year=year)
    context = {"cycle": cycle, "table": table, "form": form}
    return render(
        request, "collection/breakdown_row.html", context, status=422 if form.errors else 200
    )


@require_GET
def breakdown_export(request: HttpRequest, year: int) -> HttpResponse:
    cycle = get_cycle(request.user, year)  # type: ignore[arg-type]
    data = BreakdownResource(cycle=cycle).export_rows()
    data.title = "分工表"
    return _attachment(data.export("xlsx"), f"{cycle.year}年度数据填报分工表.xlsx", XLSX)


def _problems(result: Result, dataset: Any) -> list[dict[str, Any]]:
    labels = COLUMNS
    rows = getattr(dataset, "excel_rows", [])
    found = []
    for invalid in result.invalid_rows:
        index = invalid.number - 1
        texts = [
            f"{labels.get(field, '')}：{error}" if labels.get(field) else str(error)
            for field, errors in invalid.error_dict.items()
            for error in errors
        ]
        found.append(
            {
                "row": rows[index] if 0 <= index < len(rows) else invalid.number,
                "key": dataset[index][dataset.headers.index(KEY_HEADER)],
                "messages": texts,
            }
        )
    for number, errors in result.row_errors():
        row = rows[number - 1] if 0 < number <= len(rows) else number
        found.append({"row": row, "key": "", "messages": [str(e.error) for e in errors]})
    return sorted(found, key=lambda p: p["row"])


def _run(cycle: Cycle, actor: User, content: bytes, *, dry_run: bool) -> tuple[Any, Result]:
    dataset = read_sheet(content, required_header=KEY_HEADER)
    result = BreakdownResource(cycle=cycle, actor=actor).import_data(
        dataset,
        dry_run=dry_run,
        raise_errors=False,
        use_transactions=True,
        collect_failed_rows=True,
        rollback_on_validation_errors=True,
    )
    return dataset, result


@require_http_methods(["GET", "POST"])
def breakdown_import(request: HttpRequest, year: int) -> HttpResponse:
    cycle = _cycle_for_edit(request.user, year)  # type: ignore[arg-type]
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    form.fields["file"].help_text = _(
        "Use the sheet that the export button gives: one row per table."
    )
    context: dict[str, Any] = {"cycle": cycle, "form": form, "headers": "、".join(HEADERS)}
    if request.method == "POST" and form.is_valid():
        content = form.cleaned_data["file"]
        try:
            dataset, result = _run(cycle, request.user, content, dry_run=True)  # type: ignore[arg-type]
        except ImportFileError as exc:
            form.add_error("file", str(exc))
            return render(request, "collection/breakdown_import.html", context, status=422)
        problems = _problems(result, dataset)
        token = uuid.uuid4().hex
        folder = settings.DATA_DIR / "imports"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{token}.xlsx").write_bytes(content)
        request.session[f"import-{token}"] = {
            "kind": "breakdown",
            "year": cycle.year,
            "sha256": hashlib.sha256(content).hexdigest(),
            "name": request.FILES["file"].name,
        }
        context.update(
            {"token": token, "problems": problems, "totals": result.totals, "rows": len(dataset)}
        )
        context["preview"] = True
        status = 422 if problems else 200
        return render(request, "collection/breakdown_import.html", context, status=status)
    status = 422 if form.errors else 200
    return render(request, "collection/breakdown_import.html", context, status=status)


@require_POST
def breakdown_import_confirm(request: HttpRequest, year: int) -> HttpResponse:
    cycle = _cycle_for_edit(request.user, year)  # type: ignore[arg-type]
    token = request.POST.get("token", "")
    stored = request.session.pop(f"import-{token}", None)
    path = settings.DATA_DIR / "imports" / f"{token}.xlsx"
    valid = stored and stored["kind"] == "breakdown" and stored["year"] == cycle.year
    if not valid or not token.isalnum() or not path.exists():
        messages.error(request, _("This preview has expired. Upload the file again."))
        return redirect("collection:breakdown_import", year=year)
    _dataset, result = _run(cycle, request.user, path.read_bytes(), dry_run=False)  # type: ignore[arg-type]
    path.unlink(missing_ok=True)
    if result.has_errors() or result.has_validation_errors():
        messages.error(
            request,
            _(
                "The data changed since the preview and the file now has errors; nothing was imported. Upload it again."
            ),
        )
        return redirect("collection:breakdown_import", year=year)
    totals = dict(result.totals)
    accounts_services.sheet_import_record(
        actor=request.user,  # type: ignore[arg-type]
        kind="breakdown",
        sha256=stored["sha256"],
        filename=stored["name"],
        totals=totals,
    )
    messages.success(
        request,
        _("Imported: %(new)s new, %(update)s updated, %(skip)s unchanged.")
        % {"new": totals["new"], "update": totals["update"], "skip": totals["skip"]},
    )
    return redirect("collection:breakdown", year=year)


@require_POST
def breakdown_publish_view(request: HttpRequest, year: int) -> HttpResponse:
    cycle = _cycle_for_edit(request.user, year)  # type: ignore[arg-type]
    # A table in scope without a responsible unit is not collected this year; publishing goes
    # ahead and says which tables are left out. Tables of supplementary sets the cycle does
    # not fill are out of scope (the cycle page's setting) and not listed.
    missing = unassigned_tables(cycle)
    try:
        added = breakdown_publish(actor=request.user, cycle=cycle)  # type: ignore[arg-type]
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("The task breakdown has been published: %(count)s new unit contributions.")
            % {"count": added},
        )
        if missing:
            messages.warning(
                request,
                _(
                    "%(count)s tables have no responsible unit and are not collected this year: "
                    "%(tables)s. Assign them and publish again if they apply to the college."
                )
                % {"count": len(missing), "tables": "、".join(t.code for t in missing[:15])},
            )
        if pending := tables_fields_pending(cycle):
            messages.warning(request, fields_pending_message(pending, published=True))
    return redirect("collection:breakdown", year=year)
