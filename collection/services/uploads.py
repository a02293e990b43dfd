"""Reading, validating and keeping an uploaded file."""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.audit import event_record
from accounts.models import User
from collection.excel.reader import read_upload
from collection.excel.safety import Limits
from collection.models import Cycle, Upload
from collection.schema import CycleDates, Finding, ParsedSheet, RejectedFile, Severity, TableSchema
from collection.validation.engine import validate


@dataclass
class CheckOutcome:
    upload: Upload
    sheet: ParsedSheet | None
    findings: list[Finding]


def pack(data: object) -> bytes:
    return zlib.compress(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode(), 1)


def unpack(blob: bytes | memoryview) -> object:
    return json.loads(zlib.decompress(bytes(blob))) if blob else None


def sheet_to_blob(sheet: ParsedSheet) -> bytes:
    return pack(
        {
            "headers": sheet.schema.headers,
            "rows": sheet.rows,
            "row_numbers": sheet.row_numbers,
            "column_letters": sheet.column_letters,
        }
    )


def sheet_from_upload(upload: Upload, schema: TableSchema) -> ParsedSheet:
    data = unpack(upload.rows_blob) or {}
    assert isinstance(data, dict)
    return ParsedSheet(
        schema=schema,
        rows=data.get("rows", []),
        row_numbers=data.get("row_numbers", []),
        column_letters=data.get("column_letters", {}),
        sheet_name=upload.sheet_name,
        header_row=upload.header_row,
    )


def findings_from_upload(upload: Upload) -> list[Finding]:
    return [
        Finding(
            severity=Severity(f["severity"]),
            message=f["message"],
            row=f["row"],
            column=f["column"],
            column_letter=f.get("column_letter"),
            value=f.get("value"),
            rule=f.get("rule", ""),
            other_tables=tuple(f.get("other_tables", ())),
        )
        for f in (unpack(upload.findings_blob) or [])  # type: ignore[union-attr,attr-defined]
    ]


def check_file(
    schema: TableSchema,
    content: bytes,
    filename: str,
    dates: CycleDates,
    limits: Limits | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[ParsedSheet, list[Finding]]:
    """Read and validate without storing anything (the command line uses this). A table
    without columns (字段待确认: not public, no template loaded yet) refuses every file.

    Findings are stored with the upload and read later by reviewers in other sessions, so they
    are always written in the college's language, whatever language the uploader's page uses.
    """
    with translation.override(settings.LANGUAGE_CODE):
        if not schema.fields:
            raise RejectedFile(
                _(
                    "The columns of %(table)s are not public yet (字段待确认), so caiji cannot "
                    "check data for it. The office must first load this year's blank template of "
                    "this table from the platform; then download the new template from caiji, "
                    "fill it in and upload it."
                )
                % {"table": f"{schema.code} {schema.name}"}
            )
        sheet = read_upload(
            content,
            filename,
            schema,
            limits=limits or Limits.from_settings(),
            expect_year=dates.year,
        )
        if progress is not None:
            progress("checking")
        return sheet, validate(schema, sheet, dates)


@dataclass
class Checked:
    """A file read and validated, nothing stored yet (``file_check``); ``sheet`` is None when
    the file is refused, with the reason."""

    schema_key: tuple[str, int, tuple[str, ...]]
    sheet: ParsedSheet | None
    findings: list[Finding]
    reason: str = ""

    def fits(self, schema: TableSchema) -> bool:
        return self.schema_key == _schema_key(schema)


def _schema_key(schema: TableSchema) -> tuple[str, int, tuple[str, ...]]:
    return (schema.code, schema.spec_version, tuple(schema.headers))


def file_check(
    *,
    schema: TableSchema,
    dates: CycleDates,
    content: bytes,
    filename: str,
    progress: Callable[[str], None] | None = None,
    extra_findings: Callable[[ParsedSheet], list[Finding]] | None = None,
) -> Checked:
    """Read and validate without writing anything: the slow part of an upload, which
    ``version_create`` runs before it takes a lock (a write transaction held for the whole
    check would, on SQLite, hold up every other request's writes; docs/faults.md)."""
    try:
        sheet, findings = check_file(schema, content, filename, dates, progress=progress)
    except RejectedFile as exc:
        return Checked(_schema_key(schema), None, [], str(exc))
    if extra_findings is not None:
        with translation.override(settings.LANGUAGE_CODE):
            findings = [*findings, *extra_findings(sheet)]
    return Checked(_schema_key(schema), sheet, findings)


@transaction.atomic
def upload_check(
    *,
    actor: User | None,
    cycle: Cycle | None,
    schema: TableSchema,
    dates: CycleDates,
    content: bytes,
    filename: str,
    purpose: str = Upload.Purpose.CHECK,
    progress: Callable[[str], None] | None = None,
    extra_findings: Callable[[ParsedSheet], list[Finding]] | None = None,
    checked: Checked | None = None,
) -> CheckOutcome:
    """Keep the file with its hash; read and validate it; store the rows and findings.

    A refused file is kept as refused, with the reason, and none of its rows are stored.
    ``progress`` is told each stage ("checking", "storing") of a background upload job.
    ``extra_findings`` adds checks beyond the table's own (year over year: the findings are
    stored with the upload and counted like the others). ``checked``: the file already read
    and validated against this schema (``file_check``), so only the storing is left.
    """
    sha = hashlib.sha256(content).hexdigest()
    now = timezone.now()
    common = dict(
        cycle=cycle,
        table_code=schema.code,
        spec_version=schema.spec_version,
        purpose=purpose,
        filename=filename[:255],
        size=len(content),
        sha256=sha,
        uploaded_by=actor,
        uploaded_at=now,
    )
    if checked is None or not checked.fits(schema):
        checked = file_check(
            schema=schema,
            dates=dates,
            content=content,
            filename=filename,
            progress=progress,
            extra_findings=extra_findings,
        )
    if checked.sheet is None:
        upload = Upload(status=Upload.Status.REJECTED, reason=checked.reason, **common)
        upload.file.save(sha, ContentFile(content), save=False)
        upload.save()
        _record(actor, upload)
        return CheckOutcome(upload, None, [])
    sheet, findings = checked.sheet, checked.findings
    if progress is not None:
        progress("storing")
    counts = {s: 0 for s in Severity}
    for f in findings:
        counts[f.severity] += 1
    upload = Upload(
        status=Upload.Status.ACCEPTED,
        row_count=len(sheet.rows),
        error_count=counts[Severity.ERROR],
        explain_count=counts[Severity.EXPLAIN],
        hint_count=counts[Severity.HINT],
        header_row=sheet.header_row,
        sheet_name=sheet.sheet_name[:100],
        rows_blob=sheet_to_blob(sheet),
        findings_blob=pack([f.as_dict() for f in findings]),
        **common,
    )
    upload.file.save(sha, ContentFile(content), save=False)
    upload.save()
    _record(actor, upload)
    return CheckOutcome(upload, sheet, findings)


def _record(actor: User | None, upload: Upload) -> None:
    if actor is not None:
        event_record(
            actor=actor,
            action=f"upload.{upload.purpose}",
            obj=upload,
            unit=actor.unit,
            content_hash=upload.sha256,
            data={
                "table": upload.table_code,
                "status": upload.status,
                "rows": upload.row_count,
                "errors": upload.error_count,
                "file": upload.filename,
            },
        )
