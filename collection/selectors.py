"""Reads about cycles and table specs."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from collection.models import Cycle, FieldSpec, TableSpec
from collection.schema import FieldSchema, FieldType, TableSchema, catalog_schemas, rule_specs
from collection.specdiff import HeaderDiff, diff_headers

_schema_cache: dict[tuple[int, int], TableSchema] = {}


def cycle_latest() -> Cycle | None:
    return Cycle.objects.order_by("-year").first()


def cycle_list() -> QuerySet[Cycle]:
    return Cycle.objects.select_related("previous").order_by("-year")


def table_list(cycle: Cycle) -> QuerySet[TableSpec]:
    return cycle.tables.order_by("position")


def tables_of_unit(cycle: Cycle, unit_id: int) -> list[TableSpec]:
    """The tables a unit fills in a cycle: responsible for, or assisting in (the 分工表)."""
    from django.db.models import Q

    from collection.models import Assignment

    assignments = (
        Assignment.objects.filter(cycle=cycle)
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
            depends_on=tuple(spec.depends_on),
            spec_version=spec.spec_version,
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


def cycle_changes(cycle: Cycle) -> list[TableChange]:
    """What changed in the cycle's specs since the previous cycle: tables, columns, types."""
    if cycle.previous_id is None:
        return []
    now = {t.code: t for t in table_list(cycle).prefetch_related("fields__code_list")}
    before = {t.code: t for t in table_list(cycle.previous).prefetch_related("fields__code_list")}  # type: ignore[arg-type]
    changes = []
    for code, table in now.items():
        if code not in before:
            changes.append(TableChange(code, table.name, status="added"))
            continue
        old_fields = {f.name: f for f in before[code].fields.all()}
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
        if diff.changed or details or table.name != before[code].name:
            changes.append(TableChange(code, table.name, headers=diff, details=details))
    changes += [
        TableChange(code, t.name, status="removed") for code, t in before.items() if code not in now
    ]
    return changes
