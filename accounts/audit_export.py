"""Reading the audit trail (操作记录): the filters of the audit page and its .xlsx export.

The year filter is the calendar year of the event (a cycle's work runs within its year);
accounts sits below collection, so it cannot ask a cycle for its dates.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import xlsxwriter
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.audit_labels import ACTION_LABELS, action_label, state_label
from accounts.forms import StyledForm
from accounts.models import Event, Unit
from config.xlsx import TextCells

EXPORT_HEADERS = [
    "时间",
    "操作人工号",
    "操作人",
    "单位",
    "操作",
    "对象",
    "原状态",
    "新状态",
    "原因",
    "内容哈希",
    "IP地址",
    "详情",
]
EXPORT_MAX_ROWS = 1_000_000  # an .xlsx sheet holds 1,048,576 rows


class AuditFilterForm(StyledForm, forms.Form):
    year = forms.IntegerField(label=_("Year"), required=False, min_value=2000, max_value=2100)
    date_from = forms.DateField(
        label=_("From date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    unit = forms.ModelChoiceField(
        label=_("Unit"), queryset=Unit.objects.all(), required=False, empty_label=_("All units")
    )
    actor = forms.CharField(label=_("Staff ID of the actor"), required=False, max_length=30)
    action = forms.ChoiceField(label=_("Action"), required=False)
    object_type = forms.CharField(required=False, widget=forms.HiddenInput, max_length=50)
    object_id = forms.CharField(required=False, widget=forms.HiddenInput, max_length=50)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        known = list(ACTION_LABELS)
        recorded = Event.objects.order_by().values_list("action", flat=True).distinct()
        codes = known + sorted(set(recorded) - set(known))
        self.fields["action"].choices = [("", _("All actions"))] + [  # type: ignore[attr-defined]
            (code, action_label(code)) for code in codes
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date is after the end date: swap them."))
        return data


def events_filtered(filters: dict[str, Any]) -> QuerySet[Event]:
    """Events matching the cleaned filters, newest first."""
    events = Event.objects.select_related("actor", "unit").order_by("-created_at", "-id")
    conditions = Q()
    if year := filters.get("year"):
        conditions &= Q(created_at__year=year)
    if start := filters.get("date_from"):
        conditions &= Q(created_at__date__gte=start)
    if end := filters.get("date_to"):
        conditions &= Q(created_at__date__lte=end)
    if unit := filters.get("unit"):
        conditions &= Q(unit=unit)
    if actor := (filters.get("actor") or "").strip():
        conditions &= Q(actor__username=actor)
    if action := filters.get("action"):
        conditions &= Q(action=action)
    if object_type := filters.get("object_type"):
        conditions &= Q(object_type=object_type, object_id=filters.get("object_id") or "")
    return events.filter(conditions)


def event_row(event: Event) -> list[str]:
    actor = event.actor
    return [
        timezone.localtime(event.created_at).strftime("%Y-%m-%d %H:%M:%S"),
        actor.username if actor else "",
        actor.name if actor else "",
        event.unit.name if event.unit else "",
        action_label(event.action),
        event.object_repr,
        state_label(event.from_state, event.object_type),
        state_label(event.to_state, event.object_type),
        event.reason,
        event.content_hash,
        event.ip_address or "",
        json.dumps(event.data, ensure_ascii=False, sort_keys=True) if event.data else "",
    ]


def events_xlsx(events: Iterable[Event]) -> bytes:
    """The events as one sheet 操作记录, every cell written as text (never a formula: a reason
    like =HYPERLINK(…) reads back as typed, with Excel's quote prefix; config/xlsx.py)."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": True})
    cells = TextCells(book)
    sheet = book.add_worksheet("操作记录")
    cells.write_row(sheet, 0, 0, EXPORT_HEADERS, cells.format({"bold": True}))
    widths = [20, 12, 10, 16, 22, 30, 14, 14, 30, 66, 16, 40]
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(1, 0)
    for number, event in enumerate(events, start=1):
        if number > EXPORT_MAX_ROWS:
            break
        cells.write_row(sheet, number, 0, event_row(event))
    book.close()
    return out.getvalue()


def export_filename(now: datetime | None = None) -> str:
    return f"操作记录-{timezone.localtime(now or timezone.now()):%Y%m%d-%H%M}.xlsx"
