"""Reads about cycles and table specs."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from collection.models import Assignment, Cycle, FieldSpec, FieldsStatus, Supplement, TableSpec
from collection.schema import (
    FieldSchema,
    FieldType,
    TableSchema,
    catalog_schemas,
    rule_specs,
    rule_tables,
)
from collection.specdiff import HeaderDiff, diff_headers

_schema_cache: dict[tuple[int, int], TableSchema] = {}


def cycle_latest() -> Cycle | None:
    return Cycle.objects.order_by("-year").first()


def cycle_list() -> QuerySet[Cycle]:
    return Cycle.objects.select_related("previous").order_by("-year")


def table_list(cycle: Cycle) -> QuerySet[TableSpec]:
    return cycle.tables.order_by("position")


# The supplementary sets in the order the pages list them, with their names there.
SET_ORDER: list[str] = [Supplement.TEACHER_EDUCATION, Supplement.MEDICAL, Supplement.ENGINEERING]
SET_LABELS = {
    Supplement.TEACHER_EDUCATION: _("Teacher education supplementary tables (表SF)"),
    Supplement.MEDICAL: _("Medical supplementary tables"),
    Supplement.ENGINEERING: _("Engineering supplementary tables (表GK)"),
}
PENDING = (FieldsStatus.PROVISIONAL, FieldsStatus.UNKNOWN)


def chosen_sets(cycle: Cycle) -> list[str]:
    """The supplementary sets the cycle fills (Cycle.supplements), in page order."""
    return [s for s in SET_ORDER if s in (cycle.supplements or [])]


def tables_in_scope(cycle: Cycle) -> QuerySet[TableSpec]:
    """The tables the college fills in ``cycle``: the main set, the supplementary sets the
    cycle chose, and any table already in the 分工表 (a set unticked after its tables were
    assigned keeps those tables: they are collected, and the pages say their set is not
    chosen). The one answer for the breakdown and its sheet, the templates, the cycle page,
    the dashboard, completeness and the export, so that they never disagree."""
    assigned = Assignment.objects.filter(cycle=cycle).values("table_id")
    return cycle.tables.filter(
        Q(supplement="") | Q(supplement__in=chosen_sets(cycle)) | Q(pk__in=assigned)
    ).order_by("position", "code")


def assignments_in_scope(cycle: Cycle) -> QuerySet[Assignment]:
    """The cycle's 分工表 rows whose tables are in scope (``tables_in_scope``)."""
    return Assignment.objects.filter(cycle=cycle, table__in=tables_in_scope(cycle))


def tables_outside_sets(cycle: Cycle) -> list[TableSpec]:
    """Tables in scope only because they are in the 分工表: their set is not chosen."""
    return list(
        tables_in_scope(cycle).exclude(supplement="").exclude(supplement__in=chosen_sets(cycle))
    )


def set_not_chosen(cycle: Cycle, table: TableSpec) -> bool:
    return bool(table.supplement) and table.supplement not in chosen_sets(cycle)


def tables_fields_pending(cycle: Cycle) -> list[TableSpec]:
    """Tables of the 分工表 whose columns are 字段待确认 (not public, or provisional) until the
    office loads their template from the year's pack: publishing them warns."""
    pending = assignments_in_scope(cycle).filter(table__fields_status__in=PENDING)
    return [a.table for a in pending.select_related("table").order_by("table__position")]


@dataclass
class TableGroup:
    """A heading of the table lists: a category of the main set, or a supplementary set."""

    title: str
    tables: list[TableSpec]
    supplement: str = ""
    chosen: bool = True  # False: a set not chosen, listed for its tables in the 分工表


def table_groups(cycle: Cycle, tables: list[TableSpec]) -> list[TableGroup]:
    """``tables`` (in position order) under headings: the main set by category, then each
    supplementary set (a chosen set without any table yet is listed empty)."""
    groups: list[TableGroup] = []
    for table in tables:
        if table.supplement:
            continue
        if not groups or groups[-1].title != table.category:
            groups.append(TableGroup(table.category, []))
        groups[-1].tables.append(table)
    chosen = chosen_sets(cycle)
    for supplement in SET_ORDER:
        members = [t for t in tables if t.supplement == supplement]
        if members or supplement in chosen:
            title = str(SET_LABELS[supplement])  # type: ignore[index]
            groups.append(TableGroup(title, members, supplement, supplement in chosen))
    return groups


def tables_of_unit(cycle: Cycle, unit_id: int) -> list[TableSpec]:
    """The tables a unit fills in a cycle: responsible for, or assisting in (the 分工表)."""
    assignments = (
        assignments_in_scope(cycle)
        .filter(Q(responsible_unit_id=unit_id) | Q(assisting_units__id=unit_id))
        .select_related("table")
        .distinct()
        .order_by("table__position")
    )
    return [a.table for a in assignments]


def table_with_fields(cycle: Cycle, code: str) -> TableSpec:
    return (
        TableSpec.objects.select_related("cycle")
        .prefetch_related(Prefetch("fields", FieldSpec.objects.select_related("code_list")))
        .get(cycle=cycle, code=code)
    )


def table_schema(spec: TableSpec) -> TableSchema:
    """The plain schema of a spec, cached per spec version (specs change rarely)."""
    key = (spec.pk, spec.spec_version)
    if key not in _schema_cache:
        fields = spec.fields.select_related("code_list").order_by("position")
        specs, key_fields = rule_specs(spec.rules)
        _schema_cache[key] = TableSchema(
            code=spec.code,
            name=spec.name,
            sheet_name=spec.sheet_name,
            fields=tuple(
                FieldSchema(
                    name=f.name,
                    type=FieldType(f.type),
                    required=f.required,
                    max_len=f.max_len,
                    format=f.format or None,
                    codes=tuple(f.code_list.values) if f.code_list else (),
                    code_list=f.code_list.name if f.code_list else None,
                    help=f.help,
                    multi=f.multi,
                )
                for f in fields
            ),
            row_mode=spec.row_mode,
            time_type=spec.time_type or None,
            category=spec.category,
            key_fields=key_fields,
            rules=tuple(specs),
            is_base_table=spec.is_base_table,
            may_be_empty=spec.may_be_empty,
            depends_on=rule_tables(specs, spec.code),
            spec_version=spec.spec_version,
            fields_status=spec.fields_status,
        )
    return _schema_cache[key]


def schema_for(code: str, cycle: Cycle | None) -> TableSchema | None:
    """A table's schema in a cycle, or from the catalog file when there is no cycle yet."""
    if cycle is None:
        return catalog_schemas().get(code)
    spec = TableSpec.objects.filter(cycle=cycle, code=code).first()
    return table_schema(spec) if spec else None


@dataclass
class TableChange:
    code: str
    name: str
    headers: HeaderDiff | None = None  # None when the table is new or gone
    status: str = "changed"  # "added", "removed", "changed"
    details: list[str] = field(default_factory=list)
    last_year_code: str = ""  # the table's code last year when the platform renumbered it
    last_year_name: str = ""


def cycle_changes(cycle: Cycle) -> list[TableChange]:
    """What changed in the cycle's specs since the previous cycle: tables (renumbered ones
    matched through ``TableSpec.last_year_code``), columns, types."""
    if cycle.previous_id is None:
        return []
    now = {t.code: t for t in table_list(cycle).prefetch_related("fields__code_list")}
    before = {t.code: t for t in table_list(cycle.previous).prefetch_related("fields__code_list")}  # type: ignore[arg-type]
    changes = []
    matched: set[str] = set()
    for code, table in now.items():
        old_code = table.last_year_code or code
        if table.last_year_code == TableSpec.NO_LAST_YEAR or old_code not in before:
            changes.append(TableChange(code, table.name, status="added"))
            continue
        matched.add(old_code)
        old = before[old_code]
        old_fields = {f.name: f for f in old.fields.all()}
        new_fields = list(table.fields.all())
        diff = diff_headers(list(old_fields), [f.name for f in new_fields])
        details = []
        for f in new_fields:
            o = old_fields.get(f.name)
            if o is None:
                continue
            for attr in ("type", "required", "max_len", "format", "multi"):
                if getattr(o, attr) != getattr(f, attr):
                    details.append(f"{f.name}: {attr} {getattr(o, attr)} → {getattr(f, attr)}")
            old_codes = o.code_list.values if o.code_list else []
            new_codes = f.code_list.values if f.code_list else []
            if old_codes != new_codes:
                details.append(f"{f.name}: 代码表 {len(old_codes)} → {len(new_codes)} 项")
        renumbered = old_code != code
        if diff.changed or details or table.name != old.name or renumbered:
            changes.append(
                TableChange(
                    code,
                    table.name,
                    headers=diff,
                    details=details,
                    last_year_code=old_code if renumbered else "",
                    last_year_name=old.name if table.name != old.name else "",
                )
            )
    changes += [
        TableChange(code, t.name, status="removed")
        for code, t in before.items()
        if code not in matched
    ]
    return changes
