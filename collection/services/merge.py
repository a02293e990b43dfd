"""The responsible unit's merged table, computed from the delivered versions (no writes).

List tables: the rows of every delivered contribution, in unit order (the responsible unit
first), with a 来源单位 column appended; rows of *different* units that share the table's key
(``TableSchema.key_fields``) are conflicts. Duplicates within one unit are already errors of
that unit's own validation.

Single-record tables: one row, field by field. A field named for an assisting unit in
``Assignment.field_owners`` comes from that unit; every other field from the responsible unit.
A unit that fills a field it does not own with a value different from the owner's is a conflict.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from collection.models import Contribution, ContributionState, TableReport, TableSpec
from collection.selectors import table_schema
from collection.services.versions import rows_hash, upload_rows

SOURCE_COLUMN = "来源单位"


@dataclass(frozen=True)
class MergeConflict:
    what: str  # the key value(s) or the field name
    units: tuple[str, ...]  # unit names


@dataclass
class MergedTable:
    headers: list[str]
    rows: list[list[str]]
    conflicts: list[MergeConflict] = field(default_factory=list)

    @property
    def content_hash(self) -> str:
        return rows_hash(self.headers, self.rows)


def _delivered(report: TableReport) -> list[tuple[str, list[list[str]]]]:
    """(unit name, rows) per delivered contribution, the responsible unit first."""
    assignment = report.assignment
    found = []
    contributions = (
        Contribution.objects.filter(assignment=assignment, state=ContributionState.DELIVERED)
        .select_related("unit", "current_version__upload")
        .order_by("unit__code")
    )
    for c in sorted(contributions, key=lambda c: c.unit_id != assignment.responsible_unit_id):
        if c.current_version is not None:
            found.append((c.unit.name, upload_rows(c.current_version.upload)[1]))
    return found


def merged_rows(report: TableReport) -> MergedTable:
    table: TableSpec = report.assignment.table
    schema = table_schema(table)
    parts = _delivered(report)
    if schema.row_mode == TableSpec.RowMode.SINGLE:
        return _merge_single(report, list(schema.headers), parts)
    return _merge_list(list(schema.headers), schema.key_fields, parts)


def _merge_list(
    headers: list[str], key_fields: tuple[str, ...], parts: list[tuple[str, list[list[str]]]]
) -> MergedTable:
    index = [headers.index(k) for k in key_fields if k in headers]
    owners: dict[tuple[str, ...], list[str]] = {}
    rows = []
    for unit, unit_rows in parts:
        for row in unit_rows:
            rows.append([*row, unit])
            key = tuple(row[i] for i in index)
            if index and any(key) and unit not in owners.setdefault(key, []):
                owners[key].append(unit)
    conflicts = [
        MergeConflict(" / ".join(key), tuple(units))
        for key, units in owners.items()
        if len(units) > 1
    ]
    return MergedTable([*headers, SOURCE_COLUMN], rows, conflicts)


def _merge_single(
    report: TableReport, headers: list[str], parts: list[tuple[str, list[list[str]]]]
) -> MergedTable:
    assignment = report.assignment
    names = {u.code: u.name for u in assignment.assisting_units.all()}
    owner_of = {
        f: names.get(code, code) for code, fs in assignment.field_owners.items() for f in fs
    }
    responsible = assignment.responsible_unit.name
    first_rows = {unit: rows[0] for unit, rows in parts if rows}
    merged, conflicts = [], []
    for i, name in enumerate(headers):
        owner = owner_of.get(name, responsible)
        value = first_rows[owner][i] if owner in first_rows else ""
        others = [u for u, row in first_rows.items() if u != owner and row[i] and row[i] != value]
        if others:
            conflicts.append(MergeConflict(name, (owner, *others)))
        merged.append(value)
    return MergedTable(headers, [merged] if first_rows else [], conflicts)
