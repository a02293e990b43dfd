"""The cycle's export package (导出数据包): what leaves caiji for the national platform.

One .zip with:
- one file per approved table, named ``表1-6 本科生基本情况.xlsx`` (or ``.xls``) at the top of
  the zip, ready to upload: the platform's own template filled with the rows where the office
  loaded this year's template, else caiji's standard layout (review/export_layout.py);
- ``json/表1-6.json`` per table: field names and values (numbers as numbers, empty cells as
  null), for the API-based collection the ministry announced from 2025;
- ``manifest.json``: per table its rows, the file's sha256, the content hash approved, the spec
  version, the units' versions that were merged and the approvers of each stage with times,
  the layout it is written in with the template's sha256, warnings; the tables not included
  and why;
- ``汇总.xlsx``: the same as a workbook for people, and ``说明.txt``.

Only approved (已审定) and uploaded (已上传) tables are exported, from the rows stored at the
college review's approval (``TableReport.merged_blob``), after checking them against the hash
approved: nothing that was not approved, and nothing changed since, can leave by mistake. With
``include_unapproved`` the other tables' current merge is added in a folder named
“未审定（请勿上传）”, the manifest says ``"complete": false`` and the package's file name says
“含未审定数据-请勿上传”.

Written to any binary file object, so the command line writes a file and the export job a
temporary file that is then stored (review/export_jobs.py).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from collection.excel.export import COMPRESS_LEVEL, ZIP_DATE, is_plain_number
from collection.models import (
    Contribution,
    ContributionState,
    Cycle,
    TableReport,
    TableReportState,
    TableSpec,
)
from collection.schema import FieldType, TableSchema
from collection.selectors import assignments_in_scope, table_schema, tables_in_scope
from collection.services.merge import merged_rows
from collection.services.uploads import unpack
from collection.services.versions import rows_hash
from review.export_layout import CAIJI, table_file
from review.export_layout import table_filename as table_filename  # used by the tests, bench
from review.export_summary import readme, summary_xlsx
from review.models import Review

R = TableReportState
FORMAT = "caiji-export/1"
EXPORTED_STATES = (R.APPROVED, R.UPLOADED)
UNAPPROVED_DIR = "未审定（请勿上传）"
UNAPPROVED_MARK = "含未审定数据-请勿上传"
STAGES = (R.SECOND_REVIEW, R.COLLECTION_CHECK, R.COLLEGE_REVIEW)
# The package is read by office staff in Windows and uploaded to the platform: its own texts are
# always Chinese, whatever language the page that started it uses (like the templates).
STATE_TEXT = {
    R.COLLECTING: "汇总中",
    R.SECOND_REVIEW: "责任单位二审",
    R.COLLECTION_CHECK: "采集小组审核",
    R.COLLEGE_REVIEW: "学院审核",
    R.APPROVED: "已审定",
    R.UPLOADED: "已上传",
}
STAGE_TEXT = {
    R.SECOND_REVIEW: "责任单位二审",
    R.COLLECTION_CHECK: "采集工作小组审核",
    R.COLLEGE_REVIEW: "学院审核小组审定",
}
Progress = Callable[[int, int], None]


@dataclass
class TableEntry:
    code: str
    name: str
    sheet: str
    state: str
    approved: bool
    rows: int
    file: str
    sha256: str
    json_file: str
    json_sha256: str
    content_hash: str  # of the rows exported (the approved hash for an approved table)
    spec_version: int
    responsible_unit: str
    versions: list[dict[str, Any]] = field(default_factory=list)
    approvers: list[dict[str, Any]] = field(default_factory=list)
    conflicts: int = 0  # unapproved tables only: key conflicts not settled yet
    # "platform-template" (this year's template, filled), "platform-template-as-xlsx" (an .xls
    # template too small for the rows) or "caiji" (no template loaded: caiji's standard layout)
    layout: str = CAIJI
    template: dict[str, Any] | None = None  # file, sha256, kind, sheet, header_row
    warnings: list[str] = field(default_factory=list)


@dataclass
class Package:
    cycle: int
    filename: str
    include_unapproved: bool
    generated_at: str
    generated_by: dict[str, str] | None
    tables: list[TableEntry]
    not_included: list[dict[str, str]]
    sha256: str = ""
    size: int = 0

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    @property
    def unapproved(self) -> list[str]:
        return [t.code for t in self.tables if not t.approved]

    @property
    def warnings(self) -> list[str]:
        return [w for t in self.tables for w in t.warnings]

    @property
    def complete(self) -> bool:
        """Every table of the task breakdown is in the package, approved (tables outside the
        breakdown are not collected this year and do not count)."""
        left_out = any(t["kind"] == "not_approved" for t in self.not_included)
        return not self.unapproved and not left_out

    def manifest(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "cycle": self.cycle,
            "package": self.filename,
            "generated_at": self.generated_at,
            "generated_by": self.generated_by,
            "include_unapproved": self.include_unapproved,
            "complete": self.complete,
            "unapproved_tables": self.unapproved,
            "tables_count": len(self.tables),
            "rows": self.rows,
            "warnings": self.warnings,
            "tables": [asdict(t) for t in self.tables],
            "not_included": self.not_included,
        }


def package_filename(cycle: Cycle, *, include_unapproved: bool, at: datetime | None = None) -> str:
    stamp = timezone.localtime(at or timezone.now()).strftime("%Y%m%d-%H%M%S")
    mark = f"-{UNAPPROVED_MARK}" if include_unapproved else ""
    return f"caiji-{cycle.year}-平台导入数据包{mark}-{stamp}.zip"


def marked_path(path: str) -> str:
    """A file name given on the command line, with the unapproved mark added when missing."""
    if UNAPPROVED_MARK in path:
        return path
    stem, dot, ext = path.rpartition(".")
    if not dot or "/" in ext:
        return f"{path}-{UNAPPROVED_MARK}.zip"
    return f"{stem}-{UNAPPROVED_MARK}.{ext}"


def _reports(cycle: Cycle) -> list[TableReport]:
    return list(
        TableReport.objects.filter(assignment__in=assignments_in_scope(cycle))
        .select_related("assignment__table__template", "assignment__responsible_unit")
        .order_by("assignment__table__position", "assignment__table__code")
    )


def export_readiness(cycle: Cycle) -> dict[str, Any]:
    """What a package of the cycle would hold now (the export page shows it)."""
    reports = _reports(cycle)
    ready = [r for r in reports if r.state in EXPORTED_STATES]
    waiting = [r for r in reports if r.state not in EXPORTED_STATES]
    assigned = {r.assignment.table_id for r in reports}
    unassigned = list(tables_in_scope(cycle).exclude(pk__in=assigned))
    return {"ready": ready, "waiting": waiting, "unassigned": unassigned}


def _approved_data(report: TableReport) -> tuple[list[str], list[list[str]]]:
    data = unpack(report.merged_blob)
    if not isinstance(data, dict):
        raise ValidationError(
            _("The approved data of %(table)s is missing: reopen and approve the table again.")
            % {"table": report.assignment.table.code}
        )
    headers, rows = data["headers"], data["rows"]
    if rows_hash(headers, rows) != report.merged_hash:
        raise ValidationError(
            _(
                "The stored data of %(table)s does not match what was approved "
                "(content hash differs). Nothing was exported; tell the administrator."
            )
            % {"table": report.assignment.table.code}
        )
    return headers, rows


def _in_schema_order(
    schema: TableSchema, headers: list[str], rows: list[list[str]]
) -> list[list[str]]:
    """The stored rows (which may carry 来源单位 and be in another column order) as the
    platform's columns."""
    positions = {name: i for i, name in enumerate(headers)}
    order = [positions.get(f.name) for f in schema.fields]
    if order == list(range(len(schema.fields))) and len(headers) == len(schema.fields):
        return rows
    return [[row[i] if i is not None and i < len(row) else "" for i in order] for row in rows]


def _approvers(reports: list[TableReport]) -> dict[int, list[dict[str, Any]]]:
    """Per report, the latest approval of each stage (earlier ones were undone by a return or a
    reopening)."""
    latest: dict[int, dict[str, Review]] = {}
    for review in (
        Review.objects.filter(table_report__in=reports, decision=Review.Decision.APPROVE)
        .select_related("reviewer__unit")
        .order_by("created_at", "id")
    ):
        latest.setdefault(review.table_report_id, {})[review.stage] = review  # type: ignore[index]
    return {
        report_id: [
            {
                "stage": str(stage),
                "stage_name": STAGE_TEXT[stage],
                "username": review.reviewer.username,
                "name": review.reviewer.name,
                "unit": review.reviewer.unit.name if review.reviewer.unit else "",
                "at": timezone.localtime(review.created_at).isoformat(timespec="seconds"),
            }
            for stage in STAGES
            if (review := by_stage.get(stage)) is not None
        ]
        for report_id, by_stage in latest.items()
    }


def _versions(reports: list[TableReport]) -> dict[int, list[dict[str, Any]]]:
    """Per assignment, the delivered units' versions that were merged."""
    found: dict[int, list[dict[str, Any]]] = {}
    for c in (
        Contribution.objects.filter(
            assignment__in=[r.assignment_id for r in reports], state=ContributionState.DELIVERED
        )
        .select_related("unit", "current_version")
        .order_by("unit__code")
    ):
        if c.current_version is not None:
            found.setdefault(c.assignment_id, []).append(
                {
                    "unit": c.unit.code,
                    "unit_name": c.unit.name,
                    "version": c.current_version.number,
                    "content_hash": c.current_version.content_hash,
                }
            )
    return found


def _json_number(value: str) -> object:
    if is_plain_number(value):
        return float(value) if "." in value else int(value)
    return value


def table_json(
    schema: TableSchema, rows: list[list[str]], *, cycle: int, approved: bool, content_hash: str
) -> bytes:
    names = schema.headers
    columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in names]
    for i, f in enumerate(schema.fields):
        if f.type in (FieldType.INT, FieldType.DECIMAL):
            seen: dict[str, object] = {}
            columns[i] = [
                (seen[v] if v in seen else seen.setdefault(v, _json_number(v))) if v else None
                for v in columns[i]
            ]
        else:
            columns[i] = [v or None for v in columns[i]]
    records = [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
    document = {
        "format": FORMAT,
        "cycle": cycle,
        "table": schema.code,
        "name": schema.name,
        "approved": approved,
        "content_hash": content_hash,
        "fields": [
            {"name": f.name, "type": str(f.type), "format": f.format or "", "multi": f.multi}
            for f in schema.fields
        ],
        "records": records,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def _write(archive: zipfile.ZipFile, name: str, data: bytes, *, compress: bool = True) -> None:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    # An .xlsx is already deflated: compressing it again only costs time.
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    archive.writestr(info, data, compresslevel=COMPRESS_LEVEL)


def package_write(
    cycle: Cycle,
    out: IO[bytes],
    *,
    include_unapproved: bool = False,
    generated_by: User | None = None,
    filename: str = "",
    progress: Progress | None = None,
) -> Package:
    """Write the cycle's package to ``out`` and return what it holds (its manifest).

    Refuses (ValidationError, nothing written that counts) when no table would be exported or an
    approved table's stored rows do not match the hash approved."""
    readiness = export_readiness(cycle)
    chosen = readiness["ready"] + (readiness["waiting"] if include_unapproved else [])
    if not chosen:
        raise ValidationError(
            _(
                "No table of the %(year)s cycle is approved yet, so there is nothing to export. "
                "Tables are exported after the college review group approves them."
            )
            % {"year": cycle.year}
        )
    chosen.sort(key=lambda r: (r.assignment.table.position, r.assignment.table.code))
    now = timezone.now()
    package = Package(
        cycle=cycle.year,
        filename=filename or package_filename(cycle, include_unapproved=include_unapproved, at=now),
        include_unapproved=include_unapproved,
        generated_at=timezone.localtime(now).isoformat(timespec="seconds"),
        generated_by=(
            {"username": generated_by.username, "name": generated_by.name}
            if generated_by is not None
            else None
        ),
        tables=[],
        not_included=[
            {
                "code": r.assignment.table.code,
                "name": r.assignment.table.name,
                "kind": "not_approved",
                "reason": f"未审定（{STATE_TEXT[R(r.state)]}）",
            }
            for r in ([] if include_unapproved else readiness["waiting"])
        ]
        + [
            {
                "code": t.code,
                "name": t.name,
                "kind": "not_assigned",
                "reason": "未列入数据填报分工表",
            }
            for t in readiness["unassigned"]
        ],
    )
    total = len(chosen)
    approvers = _approvers([r for r in chosen if r.state in EXPORTED_STATES])
    versions = _versions(chosen)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for done, report in enumerate(chosen):
            spec: TableSpec = report.assignment.table
            schema = table_schema(spec)
            approved = report.state in EXPORTED_STATES
            conflicts = 0
            if approved:
                headers, stored = _approved_data(report)
            else:
                merged = merged_rows(report)
                headers, stored, conflicts = merged.headers, merged.rows, len(merged.conflicts)
            rows = _in_schema_order(schema, headers, stored)
            content_hash = report.merged_hash if approved else rows_hash(schema.headers, rows)
            folder = "" if approved else f"{UNAPPROVED_DIR}/"
            written = table_file(spec, schema, rows)
            name = f"{folder}{written.name}"
            # An .xlsx is deflated already; an .xls is not.
            _write(archive, name, written.content, compress=name.endswith(".xls"))
            json_name = f"{folder}json/{schema.code}.json"
            document = table_json(
                schema, rows, cycle=cycle.year, approved=approved, content_hash=content_hash
            )
            _write(archive, json_name, document)
            package.tables.append(
                TableEntry(
                    code=schema.code,
                    name=schema.name,
                    sheet=written.sheet or schema.sheet_name,
                    state=str(report.state),
                    approved=approved,
                    rows=len(rows),
                    file=name,
                    sha256=hashlib.sha256(written.content).hexdigest(),
                    json_file=json_name,
                    json_sha256=hashlib.sha256(document).hexdigest(),
                    content_hash=content_hash,
                    spec_version=spec.spec_version,
                    responsible_unit=report.assignment.responsible_unit.name,
                    versions=versions.get(report.assignment_id, []),
                    approvers=approvers.get(report.pk, []) if approved else [],
                    conflicts=conflicts,
                    layout=written.layout,
                    template=written.template,
                    warnings=written.warnings,
                )
            )
            if progress is not None:
                progress(done + 1, total)
        _write(archive, "汇总.xlsx", summary_xlsx(package, cycle), compress=False)
        manifest = json.dumps(package.manifest(), ensure_ascii=False, indent=2).encode()
        _write(archive, "manifest.json", manifest)
        _write(archive, "说明.txt", readme(package))
    return package
