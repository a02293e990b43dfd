"""Filling a contribution online and comparing its versions.

- ``fill``: the single-record form (only the fields the unit fills, by the task breakdown);
- ``rows``: the current version's rows, paginated, with their findings; each row can be edited
  or deleted and rows added, every save making a new version (collection/services/online.py);
- ``compare``: any two versions, rows added, removed and changed cell by cell.

Every page loads the contribution through ``get_contribution_for_user`` (404 for outsiders);
the editing pages need the unit's collector (403) while it is drafting (else a message).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from collection.models import Contribution, TableSpec, Version
from collection.schema import Finding, Severity, TableSchema
from collection.selectors import table_schema
from collection.services.compare import ChangedRow, Comparison, PlacedRow, versions_compare
from collection.services.online import (
    editable_fields,
    findings_by_row,
    row_delete,
    row_save,
    single_record_fill,
    version_rows,
)
from collection.services.versions import require_collector, require_drafting
from config.ratelimit import upload_limit
from review.access import get_contribution_for_user
from review.forms_online import RecordForm

ROWS_PER_PAGE = 50
COMPARE_PER_PAGE = 50
RANK = {Severity.ERROR: 0, Severity.EXPLAIN: 1, Severity.HINT: 2}


@dataclass
class RowItem:
    position: int  # 1-based, as in the URLs
    excel_row: int  # the row number the findings quote
    cells: list[tuple[str, str]]  # (value, worst severity of its findings or "")
    findings: list[Finding]


def _number(contribution: Contribution) -> int:
    return contribution.current_version.number if contribution.current_version else 0


def _refusal(request: HttpRequest, contribution: Contribution) -> HttpResponse | None:
    """403 unless the person collects for the unit; while not drafting, a message and the
    contribution page."""
    require_collector(request.user, contribution)  # type: ignore[arg-type]
    try:
        require_drafting(contribution)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("review:contribution_detail", pk=contribution.pk)
    return None


def _save(
    request: HttpRequest, action: Callable[[User], Version], done: str, back: str
) -> HttpResponse:
    """Run one online edit; a refusal the person can act on becomes a message."""
    try:
        version = action(request.user)  # type: ignore[arg-type]
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(back)
    if version.error_count:
        messages.warning(
            request,
            _(
                "Version %(number)s is saved with %(count)s error(s): see the findings and "
                "correct them."
            )
            % {"number": version.number, "count": version.error_count},
        )
    else:
        messages.success(request, _("Version %(number)s is saved.") % {"number": version.number})
    return redirect(done)


# Single-record tables --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@upload_limit
def contribution_fill(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = get_contribution_for_user(request.user, pk)  # type: ignore[arg-type]
    schema = table_schema(contribution.assignment.table)
    if schema.row_mode != TableSpec.RowMode.SINGLE:
        return redirect("review:contribution_rows", pk=pk)
    if (refused := _refusal(request, contribution)) is not None:
        return refused
    names = editable_fields(contribution, schema)
    version = contribution.current_version
    rows, numbers = version_rows(version, schema)
    form = RecordForm(
        request.POST or None,
        schema=schema,
        names=names,
        row=rows[0] if rows else None,
        base=_number(contribution),
    )
    if request.method == "POST" and form.is_valid() and names:
        return _save(
            request,
            lambda actor: single_record_fill(
                actor=actor,
                contribution=contribution,
                values=form.values(),
                base=form.cleaned_data["version"],
            ),
            done=reverse("review:contribution_detail", args=[pk]),
            back=reverse("review:contribution_fill", args=[pk]),
        )
    per_row, general = findings_by_row(version, numbers) if version else ({}, [])
    rest = form.attach_findings(per_row.get(0, []))
    others = set(schema.headers) - set(names)
    return render(
        request,
        "review/online_fill.html",
        {
            "contribution": contribution,
            "schema": schema,
            "form": form,
            "others": [h for h in schema.headers if h in others],
            # Findings about the sheet or no field of the form (other units' fields left out).
            "findings": general + [f for f in rest if f.column not in others],
        },
        status=422 if form.errors else 200,
    )


# List rows ---------------------------------------------------------------------------------------


@require_GET
def contribution_rows(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = get_contribution_for_user(request.user, pk)  # type: ignore[arg-type]
    schema = table_schema(contribution.assignment.table)
    version = contribution.current_version
    rows, numbers = version_rows(version, schema)
    per_row, general = findings_by_row(version, numbers) if version else ({}, [])
    only_findings = request.GET.get("findings") == "1"
    indexes = sorted(per_row) if only_findings else range(len(rows))
    page = Paginator(indexes, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    items = [_row_item(schema, i, rows[i], numbers[i], per_row.get(i, [])) for i in page]
    return render(
        request,
        "review/online_rows.html",
        {
            "contribution": contribution,
            "schema": schema,
            "version": version,
            "page": page,
            "items": items,
            "general": general,
            "only_findings": only_findings,
            "rows_with_findings": len(per_row),
            "can_change": _can_change(request.user, contribution)  # type: ignore[arg-type]
            and schema.row_mode != TableSpec.RowMode.SINGLE,
        },
    )


def _row_item(
    schema: TableSchema, index: int, row: list[str], excel_row: int, found: list[Finding]
) -> RowItem:
    worst: dict[str, Severity] = {}
    for f in found:
        if f.column and (f.column not in worst or RANK[f.severity] < RANK[worst[f.column]]):
            worst[f.column] = f.severity
    cells = [(value, worst.get(name, "")) for name, value in zip(schema.headers, row, strict=True)]
    return RowItem(index + 1, excel_row, cells, found)


def _can_change(user: User, contribution: Contribution) -> bool:
    try:
        require_collector(user, contribution)
        require_drafting(contribution)
    except Exception:  # PermissionDenied or ValidationError: the page is read-only
        return False
    return True


def _rows_url(pk: int, position: int | None = None) -> str:
    url = reverse("review:contribution_rows", args=[pk])
    return f"{url}?page={(position - 1) // ROWS_PER_PAGE + 1}" if position else url


@require_http_methods(["GET", "POST"])
@upload_limit
def contribution_row_edit(request: HttpRequest, pk: int, index: int) -> HttpResponse:
    return _row_form(request, pk, index)


@require_http_methods(["GET", "POST"])
@upload_limit
def contribution_row_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _row_form(request, pk, None)


def _row_form(request: HttpRequest, pk: int, position: int | None) -> HttpResponse:
    contribution = get_contribution_for_user(request.user, pk)  # type: ignore[arg-type]
    schema = table_schema(contribution.assignment.table)
    if schema.row_mode == TableSpec.RowMode.SINGLE:
        return redirect("review:contribution_fill", pk=pk)
    if (refused := _refusal(request, contribution)) is not None:
        return refused
    rows, numbers = version_rows(contribution.current_version, schema)
    if position is not None and not 1 <= position <= len(rows):
        raise Http404
    index = None if position is None else position - 1
    form = RecordForm(
        request.POST or None,
        schema=schema,
        names=list(schema.headers),
        row=None if index is None else rows[index],
        base=_number(contribution),
    )
    if request.method == "POST" and form.is_valid():
        return _save(
            request,
            lambda actor: row_save(
                actor=actor,
                contribution=contribution,
                index=index,
                values=form.values(),
                base=form.cleaned_data["version"],
            ),
            done=_rows_url(pk, position or len(rows) + 1),
            back=_rows_url(pk, position),
        )
    found: list[Finding] = []
    if index is not None and contribution.current_version:
        found = findings_by_row(contribution.current_version, numbers)[0].get(index, [])
    return render(
        request,
        "review/online_row_form.html",
        {
            "contribution": contribution,
            "schema": schema,
            "form": form,
            "position": position,
            "excel_row": None if index is None else numbers[index],
            "findings": form.attach_findings(found),
            "back": _rows_url(pk, position),
        },
        status=422 if form.errors else 200,
    )


@require_POST
@upload_limit
def contribution_row_delete(request: HttpRequest, pk: int, index: int) -> HttpResponse:
    contribution = get_contribution_for_user(request.user, pk)  # type: ignore[arg-type]
    try:
        base = int(request.POST.get("version", ""))
    except ValueError:
        base = -1  # the service refuses it as a stale page
    return _save(
        request,
        lambda actor: row_delete(
            actor=actor, contribution=contribution, index=index - 1, base=base
        ),
        done=_rows_url(pk, index),
        back=_rows_url(pk, index),
    )


# Comparing versions ------------------------------------------------------------------------------


@dataclass
class CompareItem:
    kind: str  # "changed", "added", "removed"
    old_position: int | None
    new_position: int | None
    cells: list[tuple[str, str, bool]]  # (old value, new value, changed)


@require_GET
def contribution_compare(request: HttpRequest, pk: int) -> HttpResponse:
    contribution = get_contribution_for_user(request.user, pk)  # type: ignore[arg-type]
    versions = list(contribution.versions.select_related("upload", "created_by"))
    context: dict[str, object] = {"contribution": contribution, "versions": versions}
    picked = _picked(request, contribution, versions)
    if picked is None:
        return render(request, "review/version_compare.html", context)
    old, new = picked
    schema = table_schema(contribution.assignment.table)
    result = versions_compare(old, new, schema)
    show = request.GET.get("show", "")
    entries = _entries(result, show)
    page = Paginator(entries, COMPARE_PER_PAGE).get_page(request.GET.get("page"))
    context |= {
        "old": old,
        "new": new,
        "result": result,
        "show": show if show in {"changed", "added", "removed"} else "",
        "page": page,
        "items": [_compare_item(result, entry) for entry in page],
    }
    return render(request, "review/version_compare.html", context)


def _picked(
    request: HttpRequest, contribution: Contribution, versions: list[Version]
) -> tuple[Version, Version] | None:
    """The two versions asked for (?a=&b= by number); by default the one before the current
    version and the current one."""
    if len(versions) < 2:
        return None
    by_number = {v.number: v for v in versions}
    current = contribution.current_version or versions[-1]
    b = _as_int(request.GET.get("b"))
    a = _as_int(request.GET.get("a"))
    if (a is not None and a not in by_number) or (b is not None and b not in by_number):
        messages.warning(
            request, _("There is no such version: the previous and the current one are compared.")
        )
        a = b = None
    new = by_number[b] if b is not None else by_number[current.number]
    if a is None:
        earlier = [v for v in versions if v.number < new.number]
        old = earlier[-1] if earlier else versions[1]  # new is the first: show what followed
    else:
        old = by_number[a]
    return old, new


def _as_int(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None


Entry = tuple[str, ChangedRow | PlacedRow]


def _entries(result: Comparison, show: str) -> list[Entry]:
    entries: list[Entry] = []
    if show in ("", "changed"):
        entries += [("changed", c) for c in result.changed]
    if show in ("", "added"):
        entries += [("added", r) for r in result.added]
    if show in ("", "removed"):
        entries += [("removed", r) for r in result.removed]
    return entries


def _compare_item(result: Comparison, entry: Entry) -> CompareItem:
    kind, row = entry
    if isinstance(row, ChangedRow):
        changed = row.changed_columns
        cells = [
            (a, b, name in changed)
            for name, a, b in zip(result.headers, row.old, row.new, strict=True)
        ]
        return CompareItem(kind, row.old_index + 1, row.new_index + 1, cells)
    cells = [(v, v, False) for v in row.values]
    if kind == "added":
        return CompareItem(kind, None, row.index + 1, cells)
    return CompareItem(kind, row.index + 1, None, cells)
