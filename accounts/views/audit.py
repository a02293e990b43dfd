"""The audit trail (操作记录): a filtered, paginated list and its .xlsx export. The office and the
college leadership read it; nobody changes it (events are append-only)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import quote

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.audit_export import AuditFilterForm, events_filtered, events_xlsx, export_filename
from accounts.audit_labels import action_label, state_label
from accounts.roles import CollegeRole
from accounts.selectors import has_college_role

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PER_PAGE = 50


def audit_reader_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not any(
            has_college_role(user, role)  # type: ignore[arg-type]
            for role in (CollegeRole.OFFICE, CollegeRole.LEADERSHIP)
        ):
            raise PermissionDenied(
                _(
                    "Only the office of the leading group and the college leadership may read the audit trail."
                )
            )
        return view(request, *args, **kwargs)

    return wrapper


@audit_reader_required
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = Paginator(events_filtered(filters), PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        (
            event,
            action_label(event.action),
            state_label(event.from_state, event.object_type),
            state_label(event.to_state, event.object_type),
        )
        for event in page
    ]
    return render(
        request,
        "office/audit_list.html",
        {"form": form, "page": page, "rows": rows, "query": request.GET.urlencode()},
        status=422 if form.errors else 200,
    )


@audit_reader_required
@require_GET
def audit_export(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return audit_list(request)  # the same filters, with their errors (422)
    filters = form.cleaned_data if form.is_bound else {}
    content = events_xlsx(events_filtered(filters).iterator(chunk_size=2000))
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(export_filename())}"
    return response
