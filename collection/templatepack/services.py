"""Writes of a template pack: upload (a preview with its change report), the office's corrections
of matches, confirm, discard. Every write is one transaction, office only, audited
(``template_pack.upload`` / ``.match`` / ``.confirm`` / ``.discard``).

Reading the pack is slow next to the rest and touches no table, so the view does it first
(``pack_prepare``) and the upload stores what was read; matching runs inside the transaction,
against the cycle's tables as they are then. The confirmation itself is ``confirm.py``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import event_record
from accounts.models import User
from collection.models import (
    Assignment,
    Contribution,
    Cycle,
    TableReport,
    TableReportState,
    TableSpec,
    UploadJob,
    Version,
)
from collection.models_templates import TemplatePack
from collection.services.closed import require_open
from collection.services.specs import require_office
from collection.templatepack.pack import stored_pack
from collection.templatepack.plan import NEW, CycleTable, build_plan
from collection.templatepack.report import PackReading, match_pack, read_pack


@dataclass
class Prepared:
    """An upload read, nothing stored yet: the one file to keep and what was read of it."""

    filename: str
    content: bytes
    reading: PackReading


def pack_prepare(uploads: Sequence[tuple[str, bytes]]) -> Prepared:
    """Read what the office uploaded (RejectedFile says why it cannot be a pack)."""
    name, content = stored_pack(uploads)
    return Prepared(name, content, read_pack(name, content))


def cycle_tables(cycle: Cycle) -> list[CycleTable]:
    """The cycle's tables as the plan needs them, in a fixed number of queries."""
    contributions = Contribution.objects.filter(assignment__table=OuterRef("pk"))
    data = (
        Exists(Version.objects.filter(contribution__assignment__table=OuterRef("pk")))
        | Exists(UploadJob.objects.filter(contribution__in=contributions))
        | Exists(
            TableReport.objects.filter(assignment__table=OuterRef("pk")).filter(
                ~Q(state=TableReportState.COLLECTING) | ~Q(merged_hash="")
            )
        )
    )
    specs = (
        TableSpec.objects.filter(cycle=cycle)
        .annotate(
            has_assignment=Exists(Assignment.objects.filter(table=OuterRef("pk"))),
            has_data=data,
        )
        .prefetch_related("fields__code_list")
        .order_by("position", "code")
    )
    return [
        CycleTable(
            pk=spec.pk,
            code=spec.code,
            name=spec.name,
            headers=tuple(f.name for f in spec.fields.all()),
            codes={f.name: len(f.code_list.values) for f in spec.fields.all() if f.code_list},
            rules=spec.rules or [],
            depends_on=spec.depends_on or [],
            has_assignment=spec.has_assignment,  # type: ignore[attr-defined]
            has_data=spec.has_data,  # type: ignore[attr-defined]
        )
        for spec in specs
    ]


def plan_token(pack: TemplatePack, tables: Sequence[CycleTable]) -> str:
    """Changes when the plan would: the office's corrections, or the cycle's tables."""
    state = {
        "decisions": pack.decisions,
        "tables": [(t.pk, t.code, t.headers, t.has_data) for t in tables],
    }
    return hashlib.sha256(json.dumps(state, ensure_ascii=False, default=list).encode()).hexdigest()


def lock_waiting(pack: TemplatePack, actor: User | None) -> tuple[Cycle, TemplatePack]:
    """Lock the cycle, then the pack; office only, open cycle, pack still waiting."""
    require_office(actor)
    cycle = Cycle.objects.select_for_update().get(pk=pack.cycle_id)
    require_open(cycle)
    pack = TemplatePack.objects.select_for_update().get(pk=pack.pk)
    if pack.state != TemplatePack.State.PREVIEW:
        raise ValidationError(
            _("This template pack is no longer waiting for confirmation: it was %(state)s.")
            % {"state": pack.get_state_display()}
        )
    return cycle, pack


@transaction.atomic
def template_pack_upload(*, actor: User | None, cycle: Cycle, prepared: Prepared) -> TemplatePack:
    """Keep the pack as it came with its change report (state preview); nothing else changes.
    A pack already waiting in this cycle is discarded: the newer upload replaces it."""
    require_office(actor)
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    require_open(cycle)
    tables = cycle_tables(cycle)
    report = match_pack(prepared.reading, [t.shape() for t in tables])
    now = timezone.now()
    for waiting in TemplatePack.objects.select_for_update().filter(
        cycle=cycle, state=TemplatePack.State.PREVIEW
    ):
        set_state(waiting, actor, TemplatePack.State.DISCARDED, reason="replaced")
    pack = TemplatePack(
        cycle=cycle,
        filename=prepared.filename[:255],
        size=len(prepared.content),
        sha256=hashlib.sha256(prepared.content).hexdigest(),
        uploaded_by=actor,
        uploaded_at=now,
        report=report,
    )
    pack.file.save(pack.sha256, ContentFile(prepared.content), save=False)
    pack.save()
    plan = build_plan(report, {}, tables)
    event_record(
        actor=actor,
        action="template_pack.upload",
        obj=pack,
        content_hash=pack.sha256,
        data={
            "file": pack.filename,
            "files": report["files"],
            "tables": len(report["tables"]),
            "new": [t.code for t in plan.of_kind("new")],
            "renumbered": {t.target.code: t.code for t in plan.of_kind("renumbered") if t.target},
            "renamed": [t.code for t in plan.of_kind("renamed")],
            "gone": [t.code for t in plan.gone],
            "skipped": [s["file"] for s in report["skipped"]],
        },
    )
    return pack


def set_state(pack: TemplatePack, actor: User | None, state: str, *, reason: str = "") -> None:
    """Move a waiting pack to confirmed or discarded (the only place its state is set)."""
    pack.state = state
    pack.decided_by = actor
    pack.decided_at = timezone.now()
    pack.save(update_fields=["state", "decided_by", "decided_at", "report"])
    if state == TemplatePack.State.DISCARDED:
        event_record(
            actor=actor,
            action="template_pack.discard",
            obj=pack,
            from_state=TemplatePack.State.PREVIEW,
            to_state=state,
            reason=reason,
        )


@transaction.atomic
def template_pack_match(
    *, actor: User | None, pack: TemplatePack, choices: Mapping[str, int | str]
) -> TemplatePack:
    """The office's corrections: for pack tables (by code), the cycle table each is (a pk) or
    ``NEW``. Refused when a choice names no table of the cycle, or two pack tables would be
    one table; nothing is saved then."""
    cycle, pack = lock_waiting(pack, actor)
    tables = cycle_tables(cycle)
    pks = {t.pk for t in tables}
    autos = {t["code"]: t.get("auto") for t in pack.report.get("tables", [])}
    decisions = dict(pack.decisions)
    changed = {}
    for code, choice in choices.items():
        if code not in autos or (choice != NEW and choice not in pks):
            raise ValidationError(_("Choose one of the tables offered for each table of the pack."))
        current = decisions.get(code, autos[code])
        if choice != current:
            changed[code] = [current, choice]
        if choice == autos[code]:
            decisions.pop(code, None)
        else:
            decisions[code] = choice
    plan = build_plan(pack.report, decisions, tables)
    if plan.double_targets:
        raise ValidationError(
            _(
                "Two tables of the pack are matched to %(tables)s: choose another table, or “new "
                "table”, for one of them."
            )
            % {"tables": "、".join(plan.double_targets)}
        )
    if changed:
        pack.decisions = decisions
        pack.save(update_fields=["decisions"])
        codes = {t.pk: t.code for t in tables}
        event_record(
            actor=actor,
            action="template_pack.match",
            obj=pack,
            data={
                "changed": {
                    code: [codes.get(old, old or NEW), codes.get(new, new)]  # type: ignore[arg-type]
                    for code, (old, new) in changed.items()
                }
            },
        )
    return pack


@transaction.atomic
def template_pack_discard(*, actor: User | None, pack: TemplatePack) -> TemplatePack:
    """Drop a pack waiting for confirmation; the cycle does not change (the file is kept)."""
    _cycle, pack = lock_waiting(pack, actor)
    set_state(pack, actor, TemplatePack.State.DISCARDED)
    return pack
