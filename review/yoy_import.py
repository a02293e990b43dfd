"""The first cycle's last year: importing last year's exported package (上一年度数据包).

A package is a .zip with one file per table in the platform's layout (as the templates: the
sheet named as the table's sheet, a header row, data rows; title rows above the header are
allowed). A file is matched to a table by the table code its name starts with (“表1-6 本科生
名单.xlsx”), else by a sheet named as the table's sheet. Each file is read with the upload
reader (``check_file``, with the hostile-file checks) against the previous cycle's tables and
dates. The package is bounded and read one member at a time (review/yoy_package.py): between
reading and storing, a table keeps its rows packed, never its file's bytes.

All or nothing: every file is read first, without writing anything; if any table is refused
(unreadable, unknown, a column missing, two files for one table, a single-record table with
several rows, a table the previous cycle already has approved data for …) nothing is imported
and the result lists each refused table with its reason. Otherwise, in one transaction: the
previous cycle (``cycle.previous``, else ``year - 1``) is created from the catalog if missing,
each table gets an assignment (this year's responsible unit for the table, else the importer's
unit) and a table report approved with the imported rows through
``review.workflow.table_report_import_approved`` (audited), and ``cycle.previous`` is linked.

A package exported by caiji itself (review/export.py: it has a manifest.json) is read by its
manifest: the manifest, 汇总.xlsx, 说明.txt and the json/ copies are skipped, and a table file
is refused when it sits in the 未审定 folder (it was not approved) or its sha256 differs from the
manifest's (it was changed after the export).

Errors of last year's data against the rules are counted, not refused: the platform accepted
that data last year. The imported rows have an empty 来源单位 (the package does not say which
unit gave a row), so a table with several units is compared per unit only from the next cycle
on; the whole-table comparison works at once.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.audit import event_record
from accounts.models import Unit, User
from accounts.selectors import is_office
from collection.excel.safety import Limits, check_upload
from collection.models import Assignment, Cycle, TableReport, TableSpec
from collection.schema import CycleDates, RejectedFile, Severity, TableSchema, catalog_schemas
from collection.selectors import table_schema
from collection.services.assignments import assignment_set
from collection.services.closed import require_open
from collection.services.specs import catalog_load
from collection.services.uploads import check_file, pack, unpack
from review import workflow
from review.export import UNAPPROVED_DIR
from review.yoy_package import Member, MemberRefused, Package

SOURCE_COLUMN = "来源单位"
MAX_FILES = 500
CODE_AT_START = re.compile(r"^(表\d+(?:-\d+)*)(?![\d-])")
READABLE = (".xlsx", ".xls", ".csv")
CAIJI_EXTRAS = {"manifest.json", "汇总.xlsx", "说明.txt"}


@dataclass
class TableImport:
    filename: str
    code: str = ""
    name: str = ""
    rows: int = 0
    errors: int = 0  # findings of severity error against last year's rules (not refused)
    refused: str = ""
    headers: list[str] = field(default_factory=list, repr=False)
    # The rows read, packed (collection.services.uploads.pack) until stored: the package's
    # tables wait for the all-or-nothing store without their files' bytes.
    packed: bytes = field(default=b"", repr=False)


@dataclass
class PackageImport:
    year: int  # the previous cycle's year
    tables: list[TableImport]
    imported: bool = False
    problem: str = ""  # the whole package was refused (not a zip, too big, empty)

    @property
    def refused(self) -> list[TableImport]:
        return [t for t in self.tables if t.refused]


def previous_import(
    *,
    actor: User | None,
    cycle: Cycle,
    content: bytes,
    fallback_unit: Unit | None = None,
) -> PackageImport:
    """Import last year's package for ``cycle`` (see the module docstring). The office only;
    ``actor=None`` is the command line. ``fallback_unit`` is responsible for a table this
    cycle's breakdown does not assign (default: the importer's unit)."""
    if actor is not None and not is_office(actor):
        raise PermissionDenied(
            _("Only the office of the leading group may import last year's data.")
        )
    fallback_unit = fallback_unit or (actor.unit if actor is not None else None)
    previous = cycle.previous or Cycle.objects.filter(year=cycle.year - 1).first()
    year = previous.year if previous else cycle.year - 1
    if previous is not None and previous.year >= cycle.year:
        raise ValidationError(
            _("The previous cycle must come before %(year)s.") % {"year": cycle.year}
        )
    require_open(cycle)
    if previous is not None and previous.is_closed:
        raise ValidationError(
            _(
                "The %(year)s cycle has been uploaded and closed: its approved data is already "
                "last year's data for %(next)s, and a package cannot replace it."
            )
            % {"year": previous.year, "next": cycle.year}
        )
    result = PackageImport(year, [])
    try:
        result.tables = _read_package(content, previous, year)
    except RejectedFile as exc:
        result.problem = str(exc)
        return result
    if result.refused:
        return result
    try:
        with transaction.atomic():
            _store(actor, cycle, result, fallback_unit)
    except ValidationError:
        return result  # the refused table says why; nothing was written
    result.imported = True
    return result


# Reading (no writes) ----------------------------------------------------------------------------


def _schemas(previous: Cycle | None) -> dict[str, TableSchema]:
    if previous is not None and previous.tables.exists():
        return {t.code: table_schema(t) for t in previous.tables.all()}
    return catalog_schemas()


def _caiji_manifest(package: Package) -> dict[str, Any] | None:
    """The tables a package exported by caiji (review/export.py) lists, by their path in the zip;
    None for any other package."""
    for member in package.members:
        if member.path != "manifest.json":
            continue
        try:
            manifest = json.loads(package.read(member))
        except (MemberRefused, ValueError):
            return None
        if isinstance(manifest, dict) and str(manifest.get("format", "")).startswith(
            "caiji-export/"
        ):
            tables = manifest.get("tables", [])
            return {
                t["file"]: t
                for t in tables
                if isinstance(t, dict) and isinstance(t.get("file"), str)
            }
    return None


def _caiji_refusal(path: str, data: bytes, listed: dict[str, Any]) -> str | None:
    """Why a table file of a caiji package is not last year's approved data, if it is not."""
    if path.startswith(UNAPPROVED_DIR):
        return _(
            "This table was not approved when the package was exported (folder %(folder)s): "
            "export the package again without unapproved tables."
        ) % {"folder": UNAPPROVED_DIR}
    entry = listed.get(path)
    if entry is None:
        return _("The file is not listed in the package's manifest.json.")
    if entry.get("sha256") != hashlib.sha256(data).hexdigest():
        return _(
            "The file differs from the one the package's manifest.json lists (SHA-256): it was "
            "changed after the export. Use the package as exported."
        )
    return None


def _read_package(content: bytes, previous: Cycle | None, year: int) -> list[TableImport]:
    approved = set()
    if previous is not None:
        approved = set(
            TableReport.objects.filter(assignment__cycle=previous)
            .exclude(state="collecting")
            .values_list("assignment__table__code", flat=True)
        )
    package = Package(content, max_files=MAX_FILES)
    reader = _Reader(
        package,
        _caiji_manifest(package),
        _schemas(previous),
        approved,
        year,
        previous.dates() if previous is not None else CycleDates.for_year(year),
    )
    tables = []
    for member in sorted(package.members, key=lambda m: m.path):
        path = member.path
        if reader.listed is not None and (
            path in CAIJI_EXTRAS or "json" in PurePosixPath(path).parts[:-1]
        ):
            continue  # the manifest, the summary and the JSON copies of a caiji package
        item = TableImport(member.name)
        tables.append(item)
        if not item.filename.lower().endswith(READABLE):
            item.refused = _("Not a table file: the package holds .xlsx (or .xls, .csv) files.")
            continue
        reader.read(member, item)
    return tables


@dataclass
class _Reader:
    """Reads the package's table files one at a time against last year's tables."""

    package: Package
    listed: dict[str, Any] | None  # a caiji package's manifest, else None
    schemas: dict[str, TableSchema]
    approved: set[str]  # tables last year's cycle already has reviewed data for
    year: int
    dates: CycleDates
    seen: dict[str, str] = field(default_factory=dict)  # table code -> its file

    def read(self, member: Member, item: TableImport) -> None:
        """Read one member into ``item``, or say why not; its bytes are dropped on return."""
        try:
            data = self.package.read(member)
        except MemberRefused as exc:
            item.refused = str(exc)
            return
        if self.listed is not None and (refusal := _caiji_refusal(member.path, data, self.listed)):
            item.refused = refusal
            return
        schema = _match(item.filename, data, self.schemas)
        if schema is None:
            item.refused = _(
                "No table of the %(year)s cycle matches this file: start its name with the "
                "table code (e.g. 表1-6 本科生名单.xlsx) or name its sheet as the table's sheet."
            ) % {"year": self.year}
            return
        item.code, item.name = schema.code, schema.name
        if schema.code in self.seen:
            item.refused = _("%(other)s is already the file for %(table)s.") % {
                "other": self.seen[schema.code],
                "table": schema.code,
            }
            return
        self.seen[schema.code] = item.filename
        if schema.code in self.approved:
            item.refused = _(
                "%(table)s of %(year)s already has reviewed or approved data: it is not replaced."
            ) % {"table": schema.code, "year": self.year}
            return
        _read_table(item, schema, data, self.dates)


def _match(name: str, data: bytes, schemas: dict[str, TableSchema]) -> TableSchema | None:
    if (found := CODE_AT_START.match(name)) and found.group(1) in schemas:
        return schemas[found.group(1)]
    try:
        check_upload(data, name, Limits.from_settings())
        if not data.startswith(b"PK"):
            return None
        from python_calamine import CalamineWorkbook

        sheets = set(CalamineWorkbook.from_filelike(io.BytesIO(data)).sheet_names)
    except Exception:  # an unreadable file is simply not matched (and refused as such)
        return None
    return next((s for s in schemas.values() if s.sheet_name in sheets), None)


def _read_table(item: TableImport, schema: TableSchema, data: bytes, dates: CycleDates) -> None:
    try:
        sheet, findings = check_file(schema, data, item.filename, dates)
    except RejectedFile as exc:
        item.refused = str(exc)
        return
    structural = [f for f in sheet.findings if f.severity == Severity.ERROR]
    if structural:
        item.refused = structural[0].message
        return
    if schema.row_mode == TableSpec.RowMode.SINGLE and len(sheet.rows) > 1:
        item.refused = _("%(table)s is a single-record table but the file has %(count)s rows.") % {
            "table": schema.code,
            "count": len(sheet.rows),
        }
        return
    item.rows = len(sheet.rows)
    item.errors = sum(1 for f in findings if f.severity == Severity.ERROR)
    if schema.row_mode == TableSpec.RowMode.SINGLE:
        item.headers, item.packed = list(schema.headers), pack(sheet.rows)
    else:
        item.headers = [*schema.headers, SOURCE_COLUMN]
        item.packed = pack([[*r, ""] for r in sheet.rows])


# Storing (one transaction) -------------------------------------------------------------------


def _store(actor: User | None, cycle: Cycle, result: PackageImport, fallback: Unit | None) -> None:
    previous, _added = catalog_load(actor=actor, year=result.year)
    responsible = dict(
        Assignment.objects.filter(cycle=cycle).values_list("table__code", "responsible_unit")
    )
    units = {u.pk: u for u in Unit.objects.filter(pk__in=responsible.values())}
    for item in result.tables:
        try:
            _store_table(
                actor, previous, item, units.get(responsible.get(item.code, 0)) or fallback
            )
        except ValidationError as exc:
            item.refused = " ".join(exc.messages)
            raise
    if cycle.previous_id is None:
        cycle.previous = previous
        cycle.save(update_fields=["previous"])
        event_record(
            actor=actor,
            action="cycle.previous_set",
            obj=cycle,
            data={"previous": previous.year, "from": "package"},
        )
    event_record(
        actor=actor,
        action="cycle.previous_import",
        obj=previous,
        data={"tables": {t.code: t.rows for t in result.tables}, "for": cycle.year},
    )


def _store_table(actor: User | None, previous: Cycle, item: TableImport, unit: Unit | None) -> None:
    spec = previous.tables.get(code=item.code)
    assignment = Assignment.objects.filter(cycle=previous, table=spec).first()
    if assignment is None:
        if unit is None:
            raise ValidationError(
                _("%(table)s has no responsible unit: add it to this year's task breakdown first.")
                % {"table": item.code}
            )
        assignment = assignment_set(actor=actor, cycle=previous, table=spec, responsible_unit=unit)
    report, _created = TableReport.objects.get_or_create(assignment=assignment)
    rows = unpack(item.packed) or []
    assert isinstance(rows, list)
    workflow.table_report_import_approved(
        actor=actor, report=report, headers=item.headers, rows=rows
    )
    item.packed = b""  # stored: one table's rows at a time
