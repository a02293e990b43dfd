"""The responsible unit's merged table, computed from the delivered versions (no writes).

List tables: the rows of every delivered contribution, in unit order (the responsible unit
first), with a 来源单位 column appended; rows of *different* units that share the table's key
(``TableSchema.key_fields``) are conflicts. Duplicates within one unit are already errors of
that unit's own validation. A conflict the responsible unit settled by keeping one unit's row
(``TableReport.resolutions``: {key: unit code}) keeps only that unit's rows for the key; a
resolution whose key no longer conflicts, or whose unit no longer has the key, is ignored.

Single-record tables: one row, field by field. A field named for an assisting unit in
``Assignment.field_owners`` comes from that unit; every other field from the responsible unit.
A unit that fills a field it does not own with a value different from the owner's is a conflict
(a resolution for the field name takes the kept unit's value instead).

``MergedTable.sources`` runs parallel to ``rows``: the unit code and the row's number in that
unit's own file, so a remark can point at the row the unit will correct.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation

from collection.models import Contribution, ContributionState, TableReport, TableSpec
from collection.schema import Finding, ParsedSheet, Severity
from collection.selectors import table_schema
from collection.services.uploads import unpack
from collection.services.versions import rows_hash
from collection.validation.engine import validate

SOURCE_COLUMN = "来源单位"


@dataclass(frozen=True)
class MergeConflict:
    what: str  # the key value(s) or the field name
    units: tuple[str, ...]  # unit names
    codes: tuple[str, ...] = ()  # unit codes, parallel to ``units``
    rows: tuple[tuple[int | None, ...], ...] = ()  # per unit: its file's row numbers


@dataclass
class MergedTable:
    headers: list[str]
    rows: list[list[str]]
    conflicts: list[MergeConflict] = field(default_factory=list)
    sources: list[tuple[str, int | None]] = field(default_factory=list)  # (unit code, row)
    conflicting: set[int] = field(default_factory=set)  # indexes of rows in a conflict
    resolved: dict[str, str] = field(default_factory=dict)  # resolutions applied: key → code

    @property
    def content_hash(self) -> str:
        return rows_hash(self.headers, self.rows)


@dataclass
class _Part:
    code: str
    name: str
    rows: list[list[str]]
    row_numbers: list[int]


def _delivered(report: TableReport) -> list[_Part]:
    """The current version's rows per delivered contribution, the responsible unit first."""
    assignment = report.assignment
    found = []
    contributions = (
        Contribution.objects.filter(assignment=assignment, state=ContributionState.DELIVERED)
        .select_related("unit", "current_version__upload")
        .order_by("unit__code")
    )
    for c in sorted(contributions, key=lambda c: c.unit_id != assignment.responsible_unit_id):
        if c.current_version is not None:
            data = unpack(c.current_version.upload.rows_blob) or {}
            assert isinstance(data, dict)
            rows = list(data.get("rows", []))
            found.append(_Part(c.unit.code, c.unit.name, rows, list(data.get("row_numbers", []))))
    return found


def merged_rows(report: TableReport) -> MergedTable:
    table: TableSpec = report.assignment.table
    schema = table_schema(table)
    parts = _delivered(report)
    resolutions = dict(report.resolutions or {})
    if schema.row_mode == TableSpec.RowMode.SINGLE:
        return _merge_single(report, list(schema.headers), parts, resolutions)
    return _merge_list(list(schema.headers), schema.key_fields, parts, resolutions)


def _number(part: _Part, i: int) -> int | None:
    return part.row_numbers[i] if i < len(part.row_numbers) else None


def _merge_list(
    headers: list[str],
    key_fields: tuple[str, ...],
    parts: list[_Part],
    resolutions: dict[str, str],
) -> MergedTable:
    index = [headers.index(k) for k in key_fields if k in headers]

    def key_of(row: list[str]) -> tuple[str, ...] | None:
        key = tuple(row[i] if i < len(row) else "" for i in index)
        return key if index and any(key) else None

    # First pass: which units hold each key, and where in their files.
    owners: dict[tuple[str, ...], dict[str, list[int | None]]] = {}
    for part in parts:
        for i, row in enumerate(part.rows):
            if (key := key_of(row)) is not None:
                owners.setdefault(key, {}).setdefault(part.code, []).append(_number(part, i))
    kept: dict[tuple[str, ...], str] = {}
    resolved: dict[str, str] = {}
    for key, by_unit in owners.items():
        what = " / ".join(key)
        if len(by_unit) > 1 and resolutions.get(what) in by_unit:
            kept[key] = resolved[what] = resolutions[what]
    conflicted = {key for key, by_unit in owners.items() if len(by_unit) > 1 and key not in kept}

    merged = MergedTable([*headers, SOURCE_COLUMN], [], resolved=resolved)
    for part in parts:
        for i, row in enumerate(part.rows):
            key = key_of(row)
            if key is not None and kept.get(key, part.code) != part.code:
                continue  # settled: another unit's row is kept for this key
            if key in conflicted:
                merged.conflicting.add(len(merged.rows))
            merged.rows.append([*row, part.name])
            merged.sources.append((part.code, _number(part, i)))
    names = {part.code: part.name for part in parts}
    merged.conflicts = [
        MergeConflict(
            " / ".join(key),
            tuple(names[code] for code in owners[key]),
            tuple(owners[key]),
            tuple(tuple(numbers) for numbers in owners[key].values()),
        )
        for key in owners
        if key in conflicted
    ]
    return merged


def _merge_single(
    report: TableReport,
    headers: list[str],
    parts: list[_Part],
    resolutions: dict[str, str] | None = None,
) -> MergedTable:
    resolutions = resolutions or {}
    assignment = report.assignment
    by_code = {part.code: part for part in parts if part.rows}
    owner_of = {f: code for code, fs in assignment.field_owners.items() for f in fs}
    responsible = assignment.responsible_unit.code
    names = {u.code: u.name for u in assignment.assisting_units.all()}
    names |= {code: part.name for code, part in by_code.items()}
    merged, conflicts, resolved = [], [], {}
    for i, name in enumerate(headers):
        owner = owner_of.get(name, responsible)
        value = by_code[owner].rows[0][i] if owner in by_code else ""
        others = [
            code
            for code, part in by_code.items()
            if code != owner and part.rows[0][i] and part.rows[0][i] != value
        ]
        if others and resolutions.get(name) in (owner, *others):
            kept = resolved[name] = resolutions[name]
            value, others = by_code[kept].rows[0][i] if kept in by_code else value, []
        if others:
            codes = (owner, *others)
            conflicts.append(
                MergeConflict(
                    name,
                    tuple(names.get(c, c) for c in codes),
                    codes,
                    tuple((_number(by_code[c], 0),) if c in by_code else () for c in codes),
                )
            )
        merged.append(value)
    rows = [merged] if by_code else []
    first = by_code.get(responsible) or next(iter(by_code.values()), None)
    sources = [(first.code, _number(first, 0))] if first and rows else []
    return MergedTable(
        headers, rows, conflicts, sources, {0} if conflicts and rows else set(), resolved
    )


def merged_findings(report: TableReport, merged: MergedTable) -> list[Finding]:
    """The whole table's check of a single-record table's merged row.

    Each unit of a single-record table is checked only on the fields it fills (a unit cannot
    know the others' values); the rules that read fields of several units, and the required
    fields of a unit that has not delivered, are checked here, on the merged row. List tables
    return nothing: every row was checked in full in its unit's own upload.
    """
    schema = table_schema(report.assignment.table)
    if schema.row_mode != TableSpec.RowMode.SINGLE or not merged.rows:
        return []
    sheet = ParsedSheet(
        schema=schema, rows=[merged.rows[0][: len(schema.headers)]], row_numbers=[2]
    )
    with translation.override(settings.LANGUAGE_CODE):
        return [
            f
            for f in validate(schema, sheet, report.assignment.cycle.dates())
            if f.severity != Severity.HINT
        ]
