"""A contribution's versions: uploading one, and explaining its 需说明 findings."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from accounts.audit import event_record
from accounts.models import User
from accounts.roles import UnitRole
from accounts.selectors import has_unit_role
from collection.models import (
    Contribution,
    ContributionState,
    Explanation,
    TableSpec,
    Upload,
    Version,
)
from collection.schema import Finding, Severity, TableSchema, partial_schema
from collection.selectors import table_schema
from collection.services.uploads import (
    Checked,
    file_check,
    findings_from_upload,
    unpack,
    upload_check,
)
from config.input import EXPLANATION_MAX, bounded_text


def rows_hash(headers: list[str], rows: list[list[str]]) -> str:
    """sha256 of the canonical JSON of the rows: the same data hashes the same whatever file
    (or online edit) it came from."""
    canonical = json.dumps(
        {"headers": headers, "rows": rows}, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def upload_rows(upload: Upload) -> tuple[list[str], list[list[str]]]:
    data = unpack(upload.rows_blob) or {}
    assert isinstance(data, dict)
    return list(data.get("headers", [])), list(data.get("rows", []))


def finding_key_of(finding: Finding) -> str:
    return f"{finding.rule}|{finding.row}|{finding.column}"


def unexplained_findings(version: Version) -> list[Finding]:
    """The version's 需说明 findings that have no explanation yet."""
    explained = set(version.explanations.values_list("finding_key", flat=True))
    return [
        f
        for f in findings_from_upload(version.upload)
        if f.severity == Severity.EXPLAIN and finding_key_of(f) not in explained
    ]


def require_collector(actor: User, contribution: Contribution) -> None:
    if not has_unit_role(actor, UnitRole.COLLECTOR, contribution.unit):
        raise PermissionDenied(
            _("Only a data collector of %(unit)s may change its data for %(table)s.")
            % {"unit": contribution.unit.name, "table": contribution.assignment.table.code}
        )


def require_drafting(contribution: Contribution) -> None:
    if contribution.assignment.cycle.is_closed:
        raise ValidationError(
            _("The %(year)s cycle is done: its data can no longer be changed.")
            % {"year": contribution.assignment.cycle.year}
        )
    if contribution.state != ContributionState.DRAFTING:
        raise ValidationError(
            _(
                "%(table)s of %(unit)s is in %(state)s: it can be changed only while drafting. "
                "Ask a reviewer or the head to return it first."
            )
            % {
                "table": contribution.assignment.table.code,
                "unit": contribution.unit.name,
                "state": contribution.get_state_display(),
            }
        )


def _locked(contribution: Contribution) -> Contribution:
    return (
        Contribution.objects.select_for_update(of=("self",))
        .select_related("assignment__cycle", "assignment__table", "unit")
        .get(pk=contribution.pk)
    )


def version_create(
    *,
    actor: User,
    contribution: Contribution,
    content: bytes,
    filename: str,
    progress: Callable[[str], None] | None = None,
) -> Version:
    """Keep and check an uploaded file; when it can be read, make it the next version.

    A file that cannot be read is kept as refused (with its Upload and Event, committed) and
    a ValidationError carries the reader's message. ``progress`` hears the stages of a
    background upload job (collection/services/jobs.py).
    """
    checked = _check_unlocked(actor, contribution, content, filename, progress)
    refused: str | None = None
    with transaction.atomic():
        contribution = _locked(contribution)
        require_collector(actor, contribution)
        require_drafting(contribution)
        version = _version_from_file(
            actor, contribution, content, filename, progress, checked=checked
        )
        if isinstance(version, str):
            refused = version
    if refused is not None:
        raise ValidationError(refused)
    assert isinstance(version, Version)
    return version


def _check_unlocked(
    actor: User,
    contribution: Contribution,
    content: bytes,
    filename: str,
    progress: Callable[[str], None] | None,
) -> Checked:
    """Read and validate before taking the row lock: the slow part of an upload holds no
    write transaction (on SQLite that would hold up every other request; docs/faults.md).
    The rights are checked first, and again under the lock."""
    contribution = Contribution.objects.select_related(
        "assignment__cycle", "assignment__table", "unit"
    ).get(pk=contribution.pk)
    require_collector(actor, contribution)
    require_drafting(contribution)
    return _file_check_for(contribution, content, filename, progress)


def _file_check_for(
    contribution: Contribution,
    content: bytes,
    filename: str,
    progress: Callable[[str], None] | None,
) -> Checked:
    from collection.services.yoy import yoy_check  # yoy reads editable_fields from here

    return file_check(
        schema=contribution_schema(contribution),
        dates=contribution.assignment.cycle.dates(),
        content=content,
        filename=filename,
        progress=progress,
        extra_findings=yoy_check(contribution, table_schema(contribution.assignment.table)),
    )


def editable_fields(contribution: Contribution, schema: TableSchema) -> list[str]:
    """The fields the contribution's unit fills. List tables: all of them. Single-record tables:
    an assisting unit its own fields in ``Assignment.field_owners``, the responsible unit every
    field no assisting unit owns."""
    if schema.row_mode != TableSpec.RowMode.SINGLE:
        return list(schema.headers)
    assignment = contribution.assignment
    owners: dict[str, list[str]] = assignment.field_owners or {}
    if contribution.unit_id == assignment.responsible_unit_id:
        taken = {name for names in owners.values() for name in names}
        return [h for h in schema.headers if h not in taken]
    own = set(owners.get(contribution.unit.code, []))
    return [h for h in schema.headers if h in own]


def contribution_schema(contribution: Contribution) -> TableSchema:
    """What a contribution is checked against: the whole table, except for a unit that fills
    only some fields of a single-record table (``partial_schema``)."""
    schema = table_schema(contribution.assignment.table)
    if schema.row_mode != TableSpec.RowMode.SINGLE or not contribution.assignment.field_owners:
        return schema
    return partial_schema(schema, set(editable_fields(contribution, schema)))


def _version_from_file(
    actor: User,
    contribution: Contribution,
    content: bytes,
    filename: str,
    progress: Callable[[str], None] | None = None,
    *,
    purpose: str = Upload.Purpose.CONTRIBUTION,
    event_data: dict[str, object] | None = None,
    checked: Checked | None = None,
) -> Version | str:
    """The next version from a file (uploaded, or built from rows entered online: purpose
    ONLINE); the caller holds the contribution's row lock and has checked the actor's right.
    ``checked``: the file as read before the lock (checked again if the table changed since)."""
    cycle = contribution.assignment.cycle
    schema = contribution_schema(contribution)
    if checked is None or not checked.fits(schema):
        checked = _file_check_for(contribution, content, filename, progress)
    outcome = upload_check(
        actor=actor,
        cycle=cycle,
        schema=schema,
        dates=cycle.dates(),
        content=content,
        filename=filename,
        purpose=purpose,
        progress=progress,
        checked=checked,
    )
    upload = outcome.upload
    if upload.status == Upload.Status.REJECTED:
        return upload.reason
    headers, rows = upload_rows(upload)
    version = Version.objects.create(
        contribution=contribution,
        number=version_next_number(contribution),
        upload=upload,
        content_hash=rows_hash(headers, rows),
        row_count=upload.row_count,
        error_count=upload.error_count,
        explain_count=upload.explain_count,
        created_by=actor,
    )
    contribution.current_version = version
    contribution.save(update_fields=["current_version", "updated_at"])
    event_record(
        actor=actor,
        action="version.create",
        obj=contribution,
        unit=contribution.unit,
        from_state=contribution.state,
        to_state=contribution.state,
        content_hash=version.content_hash,
        data={
            "version": version.number,
            "upload": upload.pk,
            "file": upload.filename,
            "sha256": upload.sha256,
            "rows": version.row_count,
            "errors": version.error_count,
            "purpose": upload.purpose,
            **(event_data or {}),
        },
    )
    return version


def version_next_number(contribution: Contribution) -> int:
    return (contribution.versions.aggregate(n=Max("number"))["n"] or 0) + 1


@transaction.atomic
def explanation_add(*, actor: User, version: Version, finding_key: str, text: str) -> Explanation:
    """Explain one 需说明 finding of the current version (append-only; the latest counts)."""
    contribution = _locked(version.contribution)
    require_collector(actor, contribution)
    require_drafting(contribution)
    if contribution.current_version_id != version.pk:
        raise ValidationError(
            _("Version %(number)s is no longer the current one: explain the current version.")
            % {"number": version.number}
        )
    keys = {
        finding_key_of(f)
        for f in findings_from_upload(version.upload)
        if f.severity == Severity.EXPLAIN
    }
    if finding_key not in keys:
        raise ValidationError(
            _("This version has no finding that asks for an explanation at %(key)s.")
            % {"key": finding_key}
        )
    text = bounded_text(text, limit=EXPLANATION_MAX)
    if not text:
        raise ValidationError(_("Write the explanation: say why the value is right."))
    explanation = Explanation.objects.create(
        version=version, finding_key=finding_key, text=text, author=actor
    )
    event_record(
        actor=actor,
        action="explanation.add",
        obj=contribution,
        unit=contribution.unit,
        content_hash=version.content_hash,
        data={"version": version.number, "finding": finding_key, "text": text},
    )
    return explanation
