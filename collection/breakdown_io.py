"""The task breakdown (分工表) as a grid and as an .xlsx sheet (django-import-export).

The column headers are the sheet's fixed Chinese vocabulary, not UI strings, so an exported
sheet imports again whatever the interface language is. Every write goes through
collection.services.assignments.assignment_set, so an import is audited like a page edit.
The export goes through config.xlsx (``TextExport``), so a note like "=见附件" is written as
text and imports back unchanged.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from accounts.models import Unit, User
from collection.models import Assignment, Cycle, TableSpec
from collection.selectors import (
    SET_LABELS,
    SET_ORDER,
    set_not_chosen,
    tables_in_scope,
)
from collection.services.assignments import assignment_set, set_not_chosen_message
from config.xlsx import TextExport

HEADERS = [
    "序号",
    "表号",
    "表名",
    "统计时间类型",
    "责任单位",
    "协助单位",
    "协助单位报送截止",
    "责任单位报送截止",
    "备注",
]
KEY_HEADER = "表号"
# The resource's field names -> their column, for the preview's messages.
COLUMNS = {
    "table": "表号",
    "responsible_unit": "责任单位",
    "assisting": "协助单位",
    "assisting_deadline": "协助单位报送截止",
    "responsible_deadline": "责任单位报送截止",
    "notes": "备注",
}
SEPARATORS = re.compile(r"[;；,，、\n]+")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")


@dataclass
class BreakdownRow:
    table: TableSpec
    assignment: Assignment | None
    set_label: str = ""  # the supplementary set's heading; "" for the main set
    set_not_chosen: bool = False  # in the 分工表 although its set is no longer ticked

    @property
    def assisting(self) -> list[Unit]:
        return list(self.assignment.assisting_units.all()) if self.assignment else []


def breakdown_rows(cycle: Cycle) -> list[BreakdownRow]:
    """Every table in scope (``tables_in_scope``) with its breakdown row or None: the main set
    in order, then each supplementary set (three queries)."""
    assignments = {
        a.table_id: a
        for a in Assignment.objects.filter(cycle=cycle)
        .select_related("responsible_unit")
        .prefetch_related("assisting_units")
    }
    order = {s: i + 1 for i, s in enumerate(SET_ORDER)}
    tables = sorted(tables_in_scope(cycle), key=lambda t: order.get(t.supplement, 0))
    return [
        BreakdownRow(
            t,
            assignments.get(t.pk),
            str(SET_LABELS[t.supplement]) if t.supplement else "",  # type: ignore[index]
            set_not_chosen(cycle, t),
        )
        for t in tables
    ]


def unassigned_tables(cycle: Cycle) -> list[TableSpec]:
    """Tables in scope without a responsible unit: breakdown_publish skips them (no
    Assignment, so no Contribution and no TableReport), and the page lists them."""
    return list(tables_in_scope(cycle).exclude(pk__in=cycle.assignments.values("table_id")))


def parse_day(text: str) -> date | None:
    text = str(text or "").strip()
    if not text:
        return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(
        _("“%(value)s” is not a date; write it as YYYY-MM-DD, e.g. 2026-10-15.") % {"value": text}
    )


def find_unit(text: str) -> Unit:
    """A unit by its name (单位名称) or its code (单位号)."""
    unit = Unit.objects.filter(name=text).first() or Unit.objects.filter(code=text).first()
    if unit is None:
        raise ValueError(
            _(
                "No unit is called or numbered “%(value)s”; write the unit's name or code as on the units page."
            )
            % {"value": text}
        )
    return unit


class DayWidget(widgets.Widget):
    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> date | None:
        return parse_day(value)

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return value.strftime("%Y-%m-%d") if value else ""


class UnitWidget(widgets.Widget):
    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Unit | None:
        text = str(value or "").strip()
        return find_unit(text) if text else None

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return value.name if value else ""


class TableWidget(widgets.Widget):
    def __init__(self, cycle: Cycle) -> None:
        super().__init__()
        self.cycle = cycle

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> TableSpec:
        code = str(value or "").strip()
        table = TableSpec.objects.filter(cycle=self.cycle, code=code).first()
        if table is None:
            raise ValueError(
                _(
                    "The %(year)s cycle has no table “%(code)s”; copy the table code from the exported sheet."
                )
                % {"year": self.cycle.year, "code": code}
            )
        return table

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return value.code if value else ""


class BreakdownResource(TextExport, resources.ModelResource):
    number = fields.Field(column_name="序号", readonly=True)
    table = fields.Field(attribute="table", column_name="表号")
    table_name = fields.Field(column_name="表名", readonly=True)
    time_type = fields.Field(column_name="统计时间类型", readonly=True)
    responsible_unit = fields.Field(
        attribute="responsible_unit", column_name="责任单位", widget=UnitWidget()
    )
    assisting = fields.Field(column_name="协助单位", readonly=True)
    assisting_deadline = fields.Field(
        attribute="assisting_deadline", column_name="协助单位报送截止", widget=DayWidget()
    )
    responsible_deadline = fields.Field(
        attribute="responsible_deadline", column_name="责任单位报送截止", widget=DayWidget()
    )
    notes = fields.Field(attribute="notes", column_name="备注", widget=widgets.CharWidget())

    class Meta:
        model = Assignment
        fields = (
            "number",
            "table",
            "table_name",
            "time_type",
            "responsible_unit",
            "assisting",
            "assisting_deadline",
            "responsible_deadline",
            "notes",
        )
        import_id_fields = ("table",)
        skip_unchanged = True
        report_skipped = True

    def __init__(self, *, cycle: Cycle, actor: User | None = None) -> None:
        super().__init__()
        self.cycle = cycle
        self.actor = actor
        self.fields["table"].widget = TableWidget(cycle)

    # Export: every table, assigned or not (unsaved Assignments stand for the empty rows).
    def export_rows(self) -> Any:
        rows = []
        for row in breakdown_rows(self.cycle):
            a = row.assignment or Assignment(cycle=self.cycle, table=row.table, notes="")
            a._assisting = row.assisting
            rows.append(a)
        return self.export(rows)

    def dehydrate_number(self, a: Assignment) -> int:
        self._counter = getattr(self, "_counter", 0) + 1
        return self._counter

    def dehydrate_table_name(self, a: Assignment) -> str:
        return a.table.name

    def dehydrate_time_type(self, a: Assignment) -> str:
        return a.table.time_type

    def dehydrate_responsible_unit(self, a: Assignment) -> str:
        return a.responsible_unit.name if a.responsible_unit_id else ""

    def dehydrate_assisting(self, a: Assignment) -> str:
        return "、".join(u.name for u in getattr(a, "_assisting", []))

    # Import
    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        headers = dataset.headers or []
        codes = dataset[KEY_HEADER] if KEY_HEADER in headers else []
        counts = Counter(str(v).strip() for v in codes if str(v).strip())
        self.duplicates = {code for code, n in counts.items() if n > 1}

    def get_instance(self, instance_loader: Any, row: Any) -> Assignment | None:
        code = str(row.get(KEY_HEADER) or "").strip()
        return (
            Assignment.objects.filter(cycle=self.cycle, table__code=code)
            .select_related("table", "responsible_unit")
            .first()
        )

    def import_instance(self, instance: Assignment, row: Any, **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.message_dict
        assisting, assisting_errors = self._assisting_units(str(row.get("协助单位") or ""))
        responsible = instance.responsible_unit if instance.responsible_unit_id else None
        if responsible and any(u.pk == responsible.pk for u in assisting):
            assisting_errors.append(
                _("%(unit)s is already the responsible unit; remove it from the assisting units.")
                % {"unit": responsible.name}
            )
        if assisting_errors:
            errors["assisting"] = assisting_errors
        code = str(row.get(KEY_HEADER) or "").strip()
        if code in self.duplicates:
            errors.setdefault("table", []).append(
                _("Table %(code)s appears more than once in the file; keep one row per table.")
                % {"code": code}
            )
        needs_unit = instance.pk is not None or self._has_content(row)
        new = instance.pk is None and instance.table_id is not None
        if new and needs_unit and set_not_chosen(self.cycle, instance.table):
            message = set_not_chosen_message(self.cycle, instance.table)
            errors.setdefault("table", []).append(message)
        if "responsible_unit" not in errors and responsible is None and needs_unit:
            errors["responsible_unit"] = [
                _("Every assigned table needs a responsible unit: fill in 责任单位.")
            ]
        instance._import_assisting = assisting
        if errors:
            raise ValidationError(errors)

    def _assisting_units(self, text: str) -> tuple[list[Unit], list[str]]:
        found: list[Unit] = []
        errors: list[str] = []
        for item in SEPARATORS.split(text.strip()):
            item = item.strip()
            if not item:
                continue
            try:
                unit = find_unit(item)
            except ValueError as exc:
                errors.append(str(exc))
            else:
                if unit not in found:
                    found.append(unit)
        return found, errors

    def _has_content(self, row: Any) -> bool:
        """A row with a table code and nothing else leaves an unassigned table unassigned."""
        names = ("责任单位", "协助单位", "协助单位报送截止", "责任单位报送截止", "备注")
        return any(str(row.get(n) or "").strip() for n in names)

    def skip_row(
        self, instance: Assignment, original: Any, row: Any, import_validation_errors: Any = None
    ) -> bool:
        if import_validation_errors:
            return False
        if original is None or original.pk is None:
            # An unassigned table left empty is unchanged; the "needs a responsible unit" error
            # covers every other empty-responsible case.
            return not instance.responsible_unit_id
        before = set(original.assisting_units.values_list("pk", flat=True))
        return (
            instance.responsible_unit_id == original.responsible_unit_id
            and {u.pk for u in instance._import_assisting} == before
            and instance.assisting_deadline == original.assisting_deadline
            and instance.responsible_deadline == original.responsible_deadline
            and (instance.notes or "") == (original.notes or "")
        )

    def save_instance(self, instance: Assignment, is_create: bool, row: Any, **kwargs: Any) -> None:
        saved = assignment_set(
            actor=self.actor,
            cycle=self.cycle,
            table=instance.table,
            responsible_unit=instance.responsible_unit,
            assisting_units=instance._import_assisting,
            assisting_deadline=instance.assisting_deadline,
            responsible_deadline=instance.responsible_deadline,
            notes=instance.notes or "",
            field_owners=instance.field_owners or None,
        )
        instance.pk = saved.pk

    def save_m2m(self, instance: Assignment, row: Any, **kwargs: Any) -> None:
        """assignment_set has already set the assisting units."""
