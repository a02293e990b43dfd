"""Copying a previous cycle's task breakdown (分工表) into a new cycle, unpublished, so that the
office starts from last year's division of work and adjusts it (issue 4 item 1).

Roles are granted per unit, not per cycle, so every unit keeps its collector, reviewers and head
(regulation §四(三): a stable collector) without copying anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.audit import event_record
from accounts.models import Event, User
from collection.models import Assignment, Cycle
from collection.services.closed import require_open

COPY_ACTION = "breakdown.copy"


@dataclass
class BreakdownCopy:
    """What a copy did: rows copied, tables skipped (not in the new cycle, or already assigned
    there) and inactive units left out."""

    source_year: int
    copied: list[str] = field(default_factory=list)
    missing_tables: list[str] = field(default_factory=list)
    already_assigned: list[str] = field(default_factory=list)
    # [table code, unit name, "responsible" | "assisting"]
    inactive_units: list[list[str]] = field(default_factory=list)

    def as_data(self) -> dict[str, Any]:
        return {
            "copied_from": self.source_year,
            "copied": self.copied,
            "missing_tables": self.missing_tables,
            "already_assigned": self.already_assigned,
            "inactive_units": self.inactive_units,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> BreakdownCopy:
        return cls(
            source_year=data.get("copied_from", 0),
            copied=list(data.get("copied", [])),
            missing_tables=list(data.get("missing_tables", [])),
            already_assigned=list(data.get("already_assigned", [])),
            inactive_units=[list(row) for row in data.get("inactive_units", [])],
        )


def one_year_later(day: date | None) -> date | None:
    if day is None:
        return None
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


@transaction.atomic
def breakdown_copy_from(*, actor: User | None, cycle: Cycle, source: Cycle) -> BreakdownCopy:
    """Copy ``source``'s assignments into ``cycle`` as an unpublished breakdown: responsible
    and assisting units, notes, field owners, positions, deadlines one year later.

    A table the new cycle does not have is skipped and reported, as is one it has already
    assigned (nothing is overwritten). An inactive assisting unit is left out (with its field
    ownership); a row whose responsible unit is inactive is skipped. One audited Event.
    The caller checks the office right (``cycle_create_from_previous``); the cycle row is
    locked so that publishing cannot run in between."""
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    require_open(cycle)
    if cycle.published_at is not None:
        raise ValidationError(
            _(
                "The %(year)s task breakdown is already published: change its rows on the "
                "breakdown page instead of copying last year's."
            )
            % {"year": cycle.year}
        )
    report = BreakdownCopy(source_year=source.year)
    tables = {t.code: t for t in cycle.tables.prefetch_related("fields")}
    taken = set(cycle.assignments.values_list("table__code", flat=True))
    rows = source.assignments.select_related("table", "responsible_unit").prefetch_related(
        "assisting_units"
    )
    created: list[tuple[Assignment, list[Any]]] = []
    for old in rows.order_by("position", "table__code"):
        code = old.table.code
        if code not in tables:
            report.missing_tables.append(code)
            continue
        if code in taken:
            report.already_assigned.append(code)
            continue
        if not old.responsible_unit.active:
            report.inactive_units.append([code, old.responsible_unit.name, "responsible"])
            continue
        assisting = []
        for unit in old.assisting_units.all():
            if unit.active:
                assisting.append(unit)
            else:
                report.inactive_units.append([code, unit.name, "assisting"])
        new_table = tables[code]
        names = {f.name for f in new_table.fields.all()}
        kept_codes = {u.code for u in assisting}
        owners = {
            unit_code: [name for name in fields if name in names]
            for unit_code, fields in (old.field_owners or {}).items()
            if unit_code in kept_codes
        }
        assignment = Assignment(
            cycle=cycle,
            table=new_table,
            responsible_unit=old.responsible_unit,
            assisting_deadline=one_year_later(old.assisting_deadline),
            responsible_deadline=one_year_later(old.responsible_deadline),
            notes=old.notes,
            field_owners={k: v for k, v in owners.items() if v},
            position=old.position,
        )
        created.append((assignment, assisting))
        report.copied.append(code)
    Assignment.objects.bulk_create([a for a, _units in created])
    Through = Assignment.assisting_units.through
    Through.objects.bulk_create(
        [Through(assignment_id=a.pk, unit_id=u.pk) for a, units in created for u in units]
    )
    event_record(actor=actor, action=COPY_ACTION, obj=cycle, data=report.as_data())
    return report


def breakdown_copy_last(cycle: Cycle) -> BreakdownCopy | None:
    """What the latest copy into ``cycle`` did, from its Event (for the page after creating)."""
    event = (
        Event.objects.filter(
            action=COPY_ACTION, object_type=cycle._meta.label_lower, object_id=str(cycle.pk)
        )
        .order_by("-created_at", "-id")
        .first()
    )
    return BreakdownCopy.from_data(event.data) if event else None
