"""Writes to cycles and table specs: loading the catalog, copying a cycle, editing specs."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.audit import event_record
from accounts.models import User
from accounts.notifications import mask_url
from accounts.selectors import is_office
from collection.models import CodeList, Cycle, FieldSpec, TableSpec
from collection.schema import PARTIAL_LIST, RULES_DIR, catalog
from collection.services.breakdown_copy import breakdown_copy_from
from collection.services.closed import require_open
from collection.specdiff import HeaderDiff, diff_headers, header_key


def require_office(actor: User | None) -> None:
    if actor is not None and not is_office(actor):
        raise PermissionDenied(
            _("Only the office of the leading group may change cycles and table specs.")
        )


def _rule_entries() -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(RULES_DIR.glob("*.json")):
        for entry in json.loads(path.read_text(encoding="utf-8")):
            found.setdefault(entry["table"], []).append(entry)
    return found


def _code_list(cycle: Cycle, cache: dict[str, CodeList], name: str, values: list[str]) -> CodeList:
    """The cycle's list ``name`` with exactly ``values``: fields that share a name share a list
    only when their values agree; another set of values gets a name of its own (表SF-13 名次
    once got 表SF-5 服务类别's codes because both lists were "PARTIAL（4项）")."""
    key, n = name, 1
    while key in cache and cache[key].values != values:
        n += 1
        key = f"{name}（{n}）"
    if key not in cache:
        cache[key] = CodeList.objects.create(cycle=cycle, name=key, values=values)
    return cache[key]


@transaction.atomic
def catalog_load(*, actor: User | None, year: int) -> tuple[Cycle, int]:
    """Create the cycle ``year`` if needed and load every catalog table it does not have yet,
    with its provenance (supplementary set, confidence, source, code before the renumbering);
    a table whose columns are not public (字段待确认) gets no columns. Prerequisites are not
    loaded: they follow from the rules (``collection.dependencies``).
    Returns the cycle and the number of tables added. Existing specs are left as they are."""
    require_office(actor)
    cycle, created = Cycle.objects.get_or_create(year=year, defaults=Cycle.default_dates(year))
    require_open(cycle)
    if created:
        event_record(actor=actor, action="cycle.create", obj=cycle, data={"from": "catalog"})
    existing = set(cycle.tables.values_list("code", flat=True))
    rules = _rule_entries()
    lists = {cl.name: cl for cl in cycle.code_lists.all()}
    added = 0
    for position, table in enumerate(catalog()["tables"]):
        if table["code"] in existing:
            continue
        spec = TableSpec.objects.create(
            cycle=cycle,
            code=table["code"],
            name=table["name"],
            sheet_name=table["sheet_name"],
            category=table["category"],
            time_type=table["time_type"] or "",
            row_mode=table["row_mode"] or "list",
            is_base_table=table["is_base_table"],
            may_be_empty=table["may_be_empty"],
            responsible_hint=table["responsible_hint"] or "",
            rules=rules.get(table["code"], []),
            position=position,
            supplement=table["supplement"],
            confidence=table["confidence"],
            fields_status=table["fields_status"],
            source=table["source"],
            previous_code=table["previous_code"],
        )
        FieldSpec.objects.bulk_create(
            FieldSpec(
                table=spec,
                position=i,
                name=f["name"],
                type=f["type"],
                required=f["required"],
                max_len=f["max_len"],
                format=f["format"] or "",
                help=f["help"],
                multi=f["multi"],
                code_list=_code_list(
                    cycle, lists, f["code_list"] or f"{table['code']}·{f['name']}", f["codes"]
                )
                if f["codes"]
                else None,
            )
            for i, f in enumerate(table["fields"])
        )
        added += 1
    if added:
        event_record(
            actor=actor, action="cycle.load_catalog", obj=cycle, data={"tables_added": added}
        )
    return cycle, added


@transaction.atomic
def cycle_create_from_previous(*, actor: User | None, previous: Cycle, year: int) -> Cycle:
    """Start a new year by copying the previous cycle's code lists, table specs (with their
    provenance and loaded template), dependency setting and task breakdown (unpublished: see
    ``breakdown_copy.breakdown_copy_from``)."""
    require_office(actor)
    if Cycle.objects.filter(year=year).exists():
        raise ValidationError(_("The %(year)s cycle already exists.") % {"year": year})
    if year <= previous.year:
        raise ValidationError(_("A new cycle must come after %(year)s.") % {"year": previous.year})
    cycle = Cycle.objects.create(
        year=year,
        previous=previous,
        dependency_mode=previous.dependency_mode,
        supplements=list(previous.supplements or []),
        **Cycle.default_dates(year),
    )
    lists = {
        old.pk: CodeList.objects.create(cycle=cycle, name=old.name, values=old.values)
        for old in previous.code_lists.all()
    }
    for old in previous.tables.prefetch_related("fields"):
        fields = list(old.fields.all())
        old.pk = None
        old.cycle = cycle
        old.spec_version = 1
        old.last_year_code = ""  # a copy has last year's code (template packs: last_year_code)
        old._state.adding = True
        old.save()
        for f in fields:
            f.pk = None
            f.table = old
            f.code_list = lists.get(f.code_list_id) if f.code_list_id else None
        FieldSpec.objects.bulk_create(fields)
    event_record(actor=actor, action="cycle.create", obj=cycle, data={"copied_from": previous.year})
    breakdown_copy_from(actor=actor, cycle=cycle, source=previous)
    return cycle


def _bump(spec: TableSpec) -> None:
    spec.spec_version += 1
    spec.save(update_fields=["spec_version"])


def _editable(spec: TableSpec) -> None:
    if spec.cycle.is_closed:
        raise ValidationError(
            _("The %(year)s cycle is closed; its specs can no longer change.")
            % {"year": spec.cycle.year}
        )


@transaction.atomic
def field_spec_update(*, actor: User | None, field: FieldSpec, **values: Any) -> FieldSpec:
    """Change a column's rules (required, length, format, help, codes); audited."""
    require_office(actor)
    field = (
        FieldSpec.objects.select_related("table__cycle", "code_list")
        .select_for_update(of=("self",))
        .get(pk=field.pk)
    )
    _editable(field.table)
    codes = values.pop("codes", None)
    changed = {}
    for name, value in values.items():
        if getattr(field, name) != value:
            changed[name] = [str(getattr(field, name)), str(value)]
            setattr(field, name, value)
    if codes is not None and codes != (field.code_list.values if field.code_list else []):
        changed["codes"] = [len(field.code_list.values) if field.code_list else 0, len(codes)]
        # A list known to be incomplete stays so (FieldSchema.codes_open) when its values change.
        partial = field.code_list is not None and field.code_list.name.startswith(PARTIAL_LIST)
        field.code_list = (
            CodeList.objects.create(
                cycle=field.table.cycle,
                name=f"{PARTIAL_LIST + '·' if partial else ''}{field.table.code}·{field.name}"
                f"·v{field.table.spec_version + 1}",
                values=codes,
            )
            if codes
            else None
        )
    if not changed:
        return field
    field.full_clean()
    field.save()
    _bump(field.table)
    event_record(
        actor=actor,
        action="spec.field_update",
        obj=field.table,
        data={"field": field.name, "changed": changed},
    )
    return field


@transaction.atomic
def table_spec_refresh(*, actor: User | None, spec: TableSpec, headers: list[str]) -> HeaderDiff:
    """Make the spec's columns follow the platform's blank template: renamed columns keep their
    rules, new columns start as optional text, removed ones go, order follows the template."""
    require_office(actor)
    spec = TableSpec.objects.select_related("cycle").select_for_update(of=("self",)).get(pk=spec.pk)
    _editable(spec)
    headers = [h.strip() for h in headers if h and h.strip()]
    if not headers:
        raise ValidationError(
            _(
                "The template has no header row. Upload the platform's blank template for this table."
            )
        )
    if len({header_key(h) for h in headers}) != len(headers):
        raise ValidationError(
            _("The template repeats a column header; check that it is the right file.")
        )
    fields = {f.name: f for f in spec.fields.all()}
    diff = diff_headers(list(fields), headers)
    if not diff.changed:
        return diff
    renamed = dict(diff.renamed)
    by_key = {header_key(name): f for name, f in fields.items()}
    for name in diff.removed:
        fields[name].delete()
    keep = []
    for position, header in enumerate(headers):
        old = next((fields[o] for o, n in renamed.items() if n == header), None) or by_key.get(
            header_key(header)
        )
        if old is None or old.name in diff.removed:
            keep.append(FieldSpec(table=spec, position=position, name=header, type="text"))
        else:
            old.name, old.position = header, position
            keep.append(old)
    # Two passes so a swap of positions or names never collides with the unique constraint.
    for f in keep:
        if f.pk:
            FieldSpec.objects.filter(pk=f.pk).update(name=f"~{f.pk}", position=10_000 + f.position)
    for f in keep:
        if f.pk:
            FieldSpec.objects.filter(pk=f.pk).update(name=f.name, position=f.position)
        else:
            f.save()
    _bump(spec)
    event_record(
        actor=actor,
        action="spec.refresh",
        obj=spec,
        data={
            "added": diff.added,
            "removed": diff.removed,
            "renamed": diff.renamed,
            "moved": diff.moved,
        },
    )
    return diff


@transaction.atomic
def cycle_dates_update(*, actor: User | None, cycle: Cycle, values: dict[str, Any]) -> Cycle:
    """Change the cycle's statistics dates, stage deadlines and dependency mode; audited."""
    require_office(actor)
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    require_open(cycle)
    changed = {}
    for name, value in values.items():
        if getattr(cycle, name) != value:
            shown = mask_url if name == "webhook_url" else str  # the robot's key stays secret
            changed[name] = [shown(getattr(cycle, name)), shown(value)]
            setattr(cycle, name, value)
    if changed:
        if cycle.academic_start >= cycle.academic_end or cycle.natural_start >= cycle.natural_end:
            raise ValidationError(_("A period must start before it ends."))
        cycle.save()
        event_record(actor=actor, action="cycle.update", obj=cycle, data={"changed": changed})
    return cycle
