"""The task breakdown (数据填报分工表): assignments and publishing them to the units."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import event_record
from accounts.models import Unit, User
from accounts.selectors import is_office
from collection.models import Assignment, Contribution, Cycle, Supplement, TableReport, TableSpec
from collection.selectors import (
    SET_LABELS,
    SET_ORDER,
    set_not_chosen,
    tables_fields_pending,
    tables_outside_sets,
)
from collection.services.closed import require_open
from collection.services.specs import require_office


def require_breakdown_office(actor: User | None) -> None:
    if actor is not None and not is_office(actor):
        raise PermissionDenied(
            _("Only the office of the leading group may change the task breakdown.")
        )


def set_not_chosen_message(cycle: Cycle, table: TableSpec) -> str:
    return _(
        "%(table)s belongs to the %(set)s, which the %(year)s cycle does not fill: tick the set "
        "under “Supplementary table sets” on the cycle page first, then assign the table."
    ) % {"table": table.code, "set": SET_LABELS[table.supplement], "year": cycle.year}  # type: ignore[index]


@transaction.atomic
def cycle_supplements_set(*, actor: User | None, cycle: Cycle, supplements: Iterable[str]) -> Cycle:
    """Choose the supplementary table sets the college fills by its 专业类别
    (Cycle.supplements), which decides the tables of the breakdown, the templates, the
    dashboard and the export (``collection.selectors.tables_in_scope``). Office only, never in
    a closed cycle; audited as a cycle setting. A set left out keeps its tables that are
    already in the 分工表 (nothing assigned or filled is dropped); the Event names them."""
    require_office(actor)
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    require_open(cycle)
    wanted = set(supplements)
    if unknown := sorted(wanted - set(Supplement.values)):
        raise ValidationError(
            _("“%(value)s” is not a supplementary table set; tick among the sets listed.")
            % {"value": "、".join(unknown)}
        )
    chosen = [s for s in SET_ORDER if s in wanted]
    before = list(cycle.supplements or [])
    if chosen == before:
        return cycle
    cycle.supplements = chosen
    cycle.save(update_fields=["supplements"])
    kept = [t.code for t in tables_outside_sets(cycle)]
    event_record(
        actor=actor,
        action="cycle.update",
        obj=cycle,
        data={"changed": {"supplements": [before, chosen]}, "kept_in_breakdown": kept},
    )
    return cycle


def _field_owners_check(
    table: TableSpec, assisting: list[Unit], field_owners: dict[str, list[str]]
) -> None:
    codes = {u.code for u in assisting}
    names = set(table.fields.values_list("name", flat=True))
    for code, fields in field_owners.items():
        if code not in codes:
            raise ValidationError(
                _(
                    "Unit %(code)s owns fields of %(table)s but is not one of its assisting "
                    "units: add it as an assisting unit or remove its fields."
                )
                % {"code": code, "table": table.code}
            )
        if unknown := sorted(set(fields) - names):
            raise ValidationError(
                _("%(table)s has no field %(fields)s: pick fields from the table's template.")
                % {"table": table.code, "fields": "、".join(unknown)}
            )


@transaction.atomic
def assignment_set(
    *,
    actor: User | None,
    cycle: Cycle,
    table: TableSpec,
    responsible_unit: Unit,
    assisting_units: Iterable[Unit] = (),
    assisting_deadline: date | None = None,
    responsible_deadline: date | None = None,
    notes: str = "",
    field_owners: dict[str, list[str]] | None = None,
) -> Assignment:
    """Create or change the breakdown row of ``table``; audited. Office only; never in a
    closed cycle."""
    require_breakdown_office(actor)
    require_open(cycle)
    if table.cycle_id != cycle.pk:
        raise ValidationError(
            _("%(table)s belongs to another cycle: pick a table of the %(year)s cycle.")
            % {"table": table.code, "year": cycle.year}
        )
    if table.supplement:  # a new row only for a set the cycle fills (the setting as saved)
        current = Cycle.objects.only("supplements").get(pk=cycle.pk)
        new = not Assignment.objects.filter(cycle=cycle, table=table).exists()
        if new and set_not_chosen(current, table):
            raise ValidationError(set_not_chosen_message(cycle, table))
    assisting = [u for u in assisting_units if u.pk != responsible_unit.pk]
    owners = field_owners or {}
    _field_owners_check(table, assisting, owners)
    values = {
        "responsible_unit": responsible_unit,
        "assisting_deadline": assisting_deadline,
        "responsible_deadline": responsible_deadline,
        "notes": notes,
        "field_owners": owners,
        "position": table.position,
    }
    assignment, created = Assignment.objects.update_or_create(
        cycle=cycle, table=table, defaults=values
    )
    assignment.assisting_units.set(assisting)
    event_record(
        actor=actor,
        action="assignment.create" if created else "assignment.update",
        obj=assignment,
        unit=responsible_unit,
        data={
            "table": table.code,
            "responsible": responsible_unit.code,
            "assisting": [u.code for u in assisting],
            "assisting_deadline": str(assisting_deadline or ""),
            "responsible_deadline": str(responsible_deadline or ""),
            "field_owners": owners,
        },
    )
    return assignment


@transaction.atomic
def breakdown_publish(*, actor: User | None, cycle: Cycle) -> int:
    """Open the breakdown to the units: one drafting Contribution per unit of every assignment
    (the responsible unit contributes its own rows too) and one collecting TableReport.

    Idempotent: publishing again adds only what is missing (e.g. after a new assignment or
    assisting unit) and never touches existing contributions. Returns how many were added.
    The ``breakdown.publish`` Event is what notifications will hang on; it names the tables
    published while their columns are 字段待确认 (the page warns about them first).
    """
    require_breakdown_office(actor)
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    if cycle.is_closed:
        raise ValidationError(
            _("The %(year)s cycle is done: its task breakdown can no longer be published.")
            % {"year": cycle.year}
        )
    assignments = list(
        cycle.assignments.select_related("table").prefetch_related("assisting_units")
    )
    if not assignments:
        raise ValidationError(
            _("The task breakdown is empty: assign the tables to units before publishing.")
        )
    existing = set(
        Contribution.objects.filter(assignment__cycle=cycle).values_list("assignment_id", "unit_id")
    )
    missing = [
        Contribution(assignment=a, unit_id=unit_id)
        for a in assignments
        for unit_id in [a.responsible_unit_id, *(u.pk for u in a.assisting_units.all())]
        if (a.pk, unit_id) not in existing
    ]
    Contribution.objects.bulk_create(missing)
    reported = set(
        TableReport.objects.filter(assignment__cycle=cycle).values_list("assignment_id", flat=True)
    )
    TableReport.objects.bulk_create(
        [TableReport(assignment=a) for a in assignments if a.pk not in reported]
    )
    first = cycle.published_at is None
    cycle.published_at = timezone.now()
    cycle.save(update_fields=["published_at"])
    event_record(
        actor=actor,
        action="breakdown.publish",
        obj=cycle,
        data={
            "assignments": len(assignments),
            "contributions_added": len(missing),
            "first": first,
            "fields_pending": [t.code for t in tables_fields_pending(cycle)],
        },
    )
    return len(missing)
