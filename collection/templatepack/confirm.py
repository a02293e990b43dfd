"""Confirming a template pack: the cycle's tables follow the pack (docs/template-packs.md).

One transaction, office only, open cycle only, the cycle row locked: the plan the office read
(``plan.build_plan``, checked by its token) is carried out as a whole or not at all.

- Tables gone (no pack table took them): removed with their empty 分工表 row; a gone table that
  holds data of this cycle refuses the whole confirmation (caiji never deletes uploaded data).
- Tables matched: code, name and sheet name from the pack; columns follow the template
  (``specs.table_spec_refresh``: a column kept or renamed keeps its type, required flag, help,
  code list and thresholds; a new one starts as optional text); the template's drop-down lists
  replace the lists of their columns; rules and prerequisites renumbered in one pass
  (``rules.carry_rules``); the 分工表 row stays (it points at the table); a renumbered table
  remembers last year's code (``TableSpec.last_year_code``) so that year over year and pre-fill
  find last year's approved data.
- Tables new: created with the template's columns as optional text (with their lists).
- Every table of the pack gets its ``TemplateFile``, the template as it came.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from accounts.audit import event_record
from accounts.models import User
from collection.models import (
    Assignment,
    CodeList,
    Confidence,
    Cycle,
    FieldSpec,
    FieldsStatus,
    TableSpec,
)
from collection.models_templates import TemplateFile, TemplatePack
from collection.schema import FieldType, catalog
from collection.services.specs import table_spec_refresh
from collection.templatepack.identify import code_order
from collection.templatepack.match import name_key
from collection.templatepack.pack import MAX_TEMPLATE_BYTES, member_name
from collection.templatepack.plan import Plan, TablePlan, build_plan
from collection.templatepack.services import cycle_tables, lock_waiting, plan_token, set_state

CODE_TYPES = (FieldType.TEXT, FieldType.CODE)


@dataclass
class Confirmed:
    pack: TemplatePack
    summary: dict[str, Any] = field(default_factory=dict)


def problems(plan: Plan, report: dict[str, Any]) -> list[str]:
    """Why the plan cannot be confirmed, each saying what to do."""
    found = []
    if report.get("conflicts"):
        found.append(
            _(
                "The pack has two files for one table (%(tables)s): remove the wrong file from "
                "the pack and upload it again."
            )
            % {"tables": "、".join(c["code"] for c in report["conflicts"])}
        )
    if plan.double_targets:
        found.append(
            _(
                "Two tables of the pack are matched to %(tables)s: choose another table, or “new "
                "table”, for one of them."
            )
            % {"tables": "、".join(plan.double_targets)}
        )
    if plan.gone_with_data:
        found.append(
            _(
                "%(tables)s are not in the pack, but units have uploaded data for them in this "
                "cycle, and caiji never deletes uploaded data. If the platform renumbered or "
                "renamed them, match them to their tables of the pack on this page."
            )
            % {"tables": "、".join(plan.gone_with_data)}
        )
    return found


@transaction.atomic
def template_pack_confirm(*, actor: User | None, pack: TemplatePack, token: str) -> Confirmed:
    """Carry out the pack's plan (see the module docstring). ``token``: the plan's token as the
    office's page showed it; another token means the plan changed since, and nothing is done."""
    cycle, pack = lock_waiting(pack, actor)
    tables = cycle_tables(cycle)
    if token != plan_token(pack, tables):
        raise ValidationError(
            _(
                "The change report changed since you opened it (another correction, or the "
                "cycle's tables changed). Read it again, then confirm."
            )
        )
    plan = build_plan(pack.report, pack.decisions, tables)
    if found := problems(plan, pack.report):
        raise ValidationError(found)
    contents = _contents(pack)
    source = f"模板包 {pack.filename}（{pack.uploaded_at:%Y-%m-%d}）"
    removed, unassigned = _remove_gone(plan)
    _renumber(plan)
    specs = {s.pk: s for s in TableSpec.objects.select_for_update().filter(cycle=cycle)}
    lists = 0
    for table in plan.tables:
        template = _template_file(pack, table, contents[table.pack["sha256"]])
        if table.target is not None:
            lists += _update(actor, specs[table.target.pk], table, plan, template, source)
        else:
            lists += _create(cycle, table, template, source)
    _reorder(cycle)
    summary = {
        "mapping": plan.mapping,
        "added": [t.code for t in plan.of_kind("new")],
        "renamed": [t.code for t in plan.of_kind("renamed")],
        "removed": removed,
        "assignments_removed": unassigned,
        "rules_inactive": [rule for rule, _reason in plan.deactivated],
        "code_lists": lists,
        "tables": len(plan.tables),
    }
    pack.report = {**pack.report, "confirmed": summary}
    set_state(pack, actor, TemplatePack.State.CONFIRMED)
    event_record(
        actor=actor,
        action="template_pack.confirm",
        obj=pack,
        from_state=TemplatePack.State.PREVIEW,
        to_state=TemplatePack.State.CONFIRMED,
        content_hash=pack.sha256,
        data=summary,
    )
    return Confirmed(pack, summary)


def _contents(pack: TemplatePack) -> dict[str, bytes]:
    """The pack's members by sha256, from the stored pack (written once, read back here)."""
    with pack.file.open("rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    wanted = {t["sha256"]: t["file"] for t in pack.report.get("tables", [])}
    found: dict[str, bytes] = {}
    names = set(wanted.values())
    for info in archive.infolist():
        if member_name(info) in names and info.file_size <= MAX_TEMPLATE_BYTES:
            data = archive.read(info)
            sha = hashlib.sha256(data).hexdigest()
            if sha in wanted:
                found[sha] = data
    if set(wanted) - set(found):
        raise ValidationError(
            _("The stored template pack no longer holds every template; upload it again.")
        )
    return found


def _remove_gone(plan: Plan) -> tuple[list[str], list[str]]:
    """Tables no pack table took: removed with their 分工表 rows (none holds data: checked)."""
    pks = [t.pk for t in plan.gone]
    unassigned = [t.code for t in plan.gone if t.has_assignment]
    Assignment.objects.filter(table_id__in=pks).delete()
    TableSpec.objects.filter(pk__in=pks).delete()
    return [t.code for t in plan.gone], unassigned


def _renumber(plan: Plan) -> None:
    """New codes in two steps, so that 2-6 → 2-5 and 2-7 → 2-6 never collide."""
    moving = [t for t in plan.tables if t.target is not None and t.target.code != t.code]
    for table in moving:
        TableSpec.objects.filter(pk=table.target.pk).update(code=f"~{table.target.pk}")  # type: ignore[union-attr]
    for table in moving:
        TableSpec.objects.filter(pk=table.target.pk).update(code=table.code)  # type: ignore[union-attr]


def _template_file(pack: TemplatePack, table: TablePlan, content: bytes) -> TemplateFile:
    data = table.pack
    template = TemplateFile(
        pack=pack,
        table_code=table.code,
        filename=data["file"].rsplit("/", 1)[-1][:255],
        kind=data["kind"],
        size=len(content),
        sha256=data["sha256"],
        sheet_name=data["sheet_name"][:100],
        header_row=data["header_row"],
        headers=data["headers"],
        codes=data["codes"],
        uploaded_by=pack.uploaded_by,
        uploaded_at=pack.uploaded_at,
    )
    template.file.save(data["sha256"], ContentFile(content), save=False)
    template.save()
    return template


def _update(
    actor: User | None,
    spec: TableSpec,
    table: TablePlan,
    plan: Plan,
    template: TemplateFile,
    source: str,
) -> int:
    """A matched table follows its template (see the module docstring); returns how many of
    its code lists the template replaced."""
    old_code = table.target.code  # type: ignore[union-attr]
    version = spec.spec_version
    table_spec_refresh(actor=actor, spec=spec, headers=list(table.pack["headers"]))
    spec.refresh_from_db()
    lists = _apply_lists(spec, table)
    gone = {t.code for t in plan.gone}
    entries = plan.rules.get(spec.pk)
    spec.name = table.pack["name"][:200]
    spec.sheet_name = table.pack["sheet_name"][:31]
    spec.fields_status = FieldsStatus.TEMPLATE
    spec.confidence = Confidence.TEMPLATE
    spec.source = source
    spec.template = template
    if entries is not None:
        spec.rules = entries[0]
    spec.depends_on = [plan.mapping.get(c, c) for c in spec.depends_on if c not in gone]
    if old_code != spec.code and not spec.last_year_code:
        spec.last_year_code = old_code
    spec.save(
        update_fields=[
            "name",
            "sheet_name",
            "fields_status",
            "confidence",
            "source",
            "template",
            "rules",
            "depends_on",
            "last_year_code",
        ]
    )
    if spec.spec_version == version:  # the refresh bumped it when the columns changed
        TableSpec.objects.filter(pk=spec.pk).update(spec_version=F("spec_version") + 1)
    return lists


def _create(cycle: Cycle, table: TablePlan, template: TemplateFile, source: str) -> int:
    """A table new this year: the template's columns as optional text (code where the template
    carries a list); its kind (list or single record, time type, category) from the catalog
    table of the same name when there is one."""
    known = _catalog_by_name().get(name_key(table.pack["name"]), {})
    spec = TableSpec.objects.create(
        cycle=cycle,
        code=table.code,
        name=table.pack["name"][:200],
        sheet_name=table.pack["sheet_name"][:31],
        category=known.get("category") or _category(cycle, table.code),
        time_type=known.get("time_type") or "",
        row_mode=known.get("row_mode") or TableSpec.RowMode.LIST,
        fields_status=FieldsStatus.TEMPLATE,
        confidence=Confidence.TEMPLATE,
        source=source,
        template=template,
        last_year_code=TableSpec.NO_LAST_YEAR,
    )
    FieldSpec.objects.bulk_create(
        FieldSpec(table=spec, position=i, name=header, type=FieldType.TEXT)
        for i, header in enumerate(table.pack["headers"])
    )
    return _apply_lists(spec, table)


def _apply_lists(spec: TableSpec, table: TablePlan) -> int:
    """The template's lists replace the lists of their columns (text and code columns)."""
    count = 0
    fields = {f.name: f for f in spec.fields.all()}
    for change in table.code_lists:
        column = fields.get(change.header)
        if column is None or column.type not in CODE_TYPES:
            continue
        if column.code_list is not None and column.code_list.values == change.values:
            continue
        column.code_list = _code_list(spec, change.header, change.values)
        column.type = FieldType.CODE
        column.save(update_fields=["code_list", "type"])
        count += 1
    return count


def _code_list(spec: TableSpec, header: str, values: list[str]) -> CodeList:
    base = f"{spec.code}·{header}（模板）"[:190]
    name, n = base, 1
    while True:
        found = CodeList.objects.filter(cycle=spec.cycle_id, name=name).first()
        if found is None:
            return CodeList.objects.create(cycle_id=spec.cycle_id, name=name, values=values)
        if found.values == values:
            return found
        n += 1
        name = f"{base}{n}"


def _catalog_by_name() -> dict[str, dict[str, Any]]:
    return {name_key(t["name"]): t for t in catalog()["tables"]}


def _category(cycle: Cycle, code: str) -> str:
    """The category most tables of the code's section have (表1-x: 1 学校基本信息 …)."""
    section = code.removeprefix("表").split("-")[0]
    found = Counter(
        c
        for t_code, c in TableSpec.objects.filter(cycle=cycle).values_list("code", "category")
        if c and t_code.removeprefix("表").split("-")[0] == section
    )
    if found:
        return found.most_common(1)[0][0]
    by_catalog = Counter(
        t["category"]
        for t in catalog()["tables"]
        if t["code"].removeprefix("表").split("-")[0] == section and t["category"]
    )
    return by_catalog.most_common(1)[0][0] if by_catalog else ""


def _reorder(cycle: Cycle) -> None:
    """Tables in code order (表1-9 before 表1-10, the supplements last)."""
    specs = sorted(TableSpec.objects.filter(cycle=cycle), key=lambda s: code_order(s.code))
    for position, spec in enumerate(specs):
        if spec.position != position:
            spec.position = position
            spec.save(update_fields=["position"])
