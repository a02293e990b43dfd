"""Bringing a cycle's table rules up to date with the project's catalog mappings.

A cycle keeps the rules it was loaded or copied with (``TableSpec.rules``), so rules mapped
later (the cross-table rules, for example) never reach it by themselves. ``cycle_rules_refresh``
replaces each table's rules with the catalog's, bumps ``spec_version`` of the tables whose
rules changed (a cached schema and a template of the old version are then known as old) and
writes one audited event. A closed cycle is refused."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.audit import event_record
from accounts.models import User
from collection.models import Cycle
from collection.services.specs import _rule_entries, require_office


@transaction.atomic
def cycle_rules_refresh(*, actor: User | None, cycle: Cycle) -> list[str]:
    """Replace every table's rules of ``cycle`` with the catalog's; return the codes changed."""
    require_office(actor)
    if cycle.is_closed:
        raise ValidationError(
            _("The %(year)s cycle is closed; its specs can no longer change.")
            % {"year": cycle.year}
        )
    entries = _rule_entries()
    changed = []
    for spec in cycle.tables.select_for_update().order_by("position"):
        rules = entries.get(spec.code, [])
        if rules != spec.rules:
            spec.rules = rules
            spec.spec_version += 1
            spec.save(update_fields=["rules", "spec_version"])
            changed.append(spec.code)
    if changed:
        event_record(
            actor=actor,
            action="cycle.refresh_rules",
            obj=cycle,
            data={"tables": changed},
        )
    return changed
