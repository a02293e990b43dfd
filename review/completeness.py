"""Completeness (查缺补漏): per table and unit, what is still missing in a cycle: contributions
not delivered (with deadline and lateness), required fields left empty in the current version,
tables nobody has started, and tables left out of the task breakdown.

Reads only, in a fixed number of queries whatever the number of tables and units. Empty
required cells of a list table are counted from the stored findings of the current version
(the field check reports each empty required cell with rule ``required``), cached per upload
(uploads never change); a single-record table is judged on its merged record (each field from
the unit that fills it, ``Assignment.field_owners``), from the current versions' rows.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from accounts.models import Unit, User
from accounts.roles import CollegeRole
from accounts.selectors import has_college_role
from collection.models import (
    Assignment,
    Contribution,
    ContributionState,
    Cycle,
    FieldSpec,
    TableSpec,
    Upload,
)
from collection.selectors import assignments_in_scope, tables_in_scope
from collection.services.uploads import unpack
from review.selectors import unit_ids_by_role

S = ContributionState
CACHE_PREFIX = "caiji:completeness:required:"


@dataclass
class Item:
    """One unit's part of one table."""

    contribution: Contribution
    responsible: bool
    deadline: datetime.date | None
    late: bool
    empty_required: list[tuple[str, int]] = field(default_factory=list)  # (field, empty cells)
    table_started: bool = True

    @property
    def table(self) -> TableSpec:
        return self.contribution.assignment.table

    @property
    def delivered(self) -> bool:
        return self.contribution.state == S.DELIVERED

    @property
    def empty_total(self) -> int:
        return sum(n for _name, n in self.empty_required)


@dataclass
class Completeness:
    items: list[Item]
    not_in_breakdown: list[TableSpec]  # tables of the cycle nobody collects (this year)
    published: bool
    units: list[Unit]  # for the filter
    categories: list[str]

    @property
    def not_delivered(self) -> int:
        return sum(not i.delivered for i in self.items)

    @property
    def late(self) -> int:
        return sum(i.late for i in self.items)

    @property
    def with_empty_required(self) -> int:
        return sum(bool(i.empty_required) for i in self.items)

    @property
    def not_started(self) -> list[TableSpec]:
        seen: dict[int, TableSpec] = {}
        for i in self.items:
            if not i.table_started:
                seen.setdefault(i.table.pk, i.table)
        return list(seen.values())


def sees_whole_cycle(user: User) -> bool:
    return any(has_college_role(user, role) for role in CollegeRole)


def completeness_for_user(
    user: User, cycle: Cycle, *, unit: str = "", category: str = ""
) -> Completeness:
    """What is missing in ``cycle`` as ``user`` may see it: everything for a college-wide role;
    else the tables their units contribute to (their own rows) and, for the tables their
    units are responsible for, every unit's part. Filters: unit code, table category."""
    contributions = Contribution.objects.filter(assignment__in=assignments_in_scope(cycle))
    whole = sees_whole_cycle(user)
    if not whole:
        mine = set().union(*unit_ids_by_role(user).values())
        contributions = contributions.filter(
            Q(unit_id__in=mine) | Q(assignment__responsible_unit_id__in=mine)
        )
    if unit:
        contributions = contributions.filter(unit__code=unit)
    if category:
        contributions = contributions.filter(assignment__table__category=category)
    found = list(
        contributions.select_related(
            "assignment__table", "assignment__responsible_unit", "unit", "current_version"
        ).order_by("assignment__position", "assignment__table__position", "unit__code")
    )
    started = set(
        Contribution.objects.filter(assignment__cycle=cycle, current_version__isnull=False)
        .values_list("assignment_id", flat=True)
        .distinct()
    )
    today = timezone.localdate()
    items = []
    for c in found:
        a = c.assignment
        responsible = c.unit_id == a.responsible_unit_id
        deadline = a.responsible_deadline if responsible else a.assisting_deadline
        late = deadline is not None and deadline < today and c.state != S.DELIVERED
        items.append(Item(c, responsible, deadline, late, table_started=a.pk in started))
    _fill_empty_required(cycle, items)
    not_in_breakdown: list[TableSpec] = []
    if whole and not unit:
        tables = tables_in_scope(cycle).exclude(
            pk__in=Assignment.objects.filter(cycle=cycle).values("table_id")
        )
        if category:
            tables = tables.filter(category=category)
        not_in_breakdown = list(tables.order_by("position"))
    units = sorted({i.contribution.unit for i in items}, key=lambda u: u.code)
    if unit and not units:
        units = list(Unit.objects.filter(code=unit))
    categories = list(
        tables_in_scope(cycle)
        .exclude(category="")
        .order_by("category")
        .values_list("category", flat=True)
        .distinct()
    )
    return Completeness(items, not_in_breakdown, cycle.published_at is not None, units, categories)


def _fill_empty_required(cycle: Cycle, items: list[Item]) -> None:
    """Empty required cells per field of each item's current version (list tables), or the
    required fields missing from the merged record (single-record tables)."""
    required: dict[int, list[str]] = {}
    for table_id, name in (
        FieldSpec.objects.filter(table__cycle=cycle, required=True)
        .order_by("position")
        .values_list("table_id", "name")
    ):
        required.setdefault(table_id, []).append(name)
    single = [i for i in items if i.table.row_mode == TableSpec.RowMode.SINGLE]
    listed = [
        i
        for i in items
        if i.table.row_mode != TableSpec.RowMode.SINGLE and i.contribution.current_version
    ]
    counts = _required_counts([i.contribution.current_version.upload_id for i in listed])  # type: ignore[union-attr]
    for i in listed:
        by_field = counts.get(i.contribution.current_version.upload_id, {})  # type: ignore[union-attr]
        names = required.get(i.table.pk, [])
        i.empty_required = [(name, by_field[name]) for name in names if by_field.get(name)]
    _single_records(single, required)


def _required_counts(upload_ids: list[int]) -> dict[int, dict[str, int]]:
    """{upload id: {field: empty required cells}}; from the cache, else from the findings."""
    keys = {f"{CACHE_PREFIX}{pk}": pk for pk in upload_ids}
    cached = cache.get_many(list(keys))
    found = {keys[key]: value for key, value in cached.items()}
    missing = [pk for pk in upload_ids if pk not in found]
    fresh = {}
    for pk, blob in Upload.objects.filter(pk__in=missing).values_list("pk", "findings_blob"):
        findings = unpack(blob) or []
        assert isinstance(findings, list)
        counted = Counter(
            f.get("column") for f in findings if f.get("rule") == "required" and f.get("column")
        )
        fresh[pk] = dict(counted)
    if fresh:
        cache.set_many({f"{CACHE_PREFIX}{pk}": value for pk, value in fresh.items()}, None)
    return {**found, **fresh}


def _single_records(items: list[Item], required: dict[int, list[str]]) -> None:
    """A single-record table's merged record: each field from the unit that fills it (the
    responsible unit unless ``field_owners`` names another); an empty required field counts
    against that unit's item (one cell)."""
    with_version = [i for i in items if i.contribution.current_version]
    rows: dict[int, tuple[list[str], list[str]]] = {}
    upload_ids = [i.contribution.current_version.upload_id for i in with_version]  # type: ignore[union-attr]
    for pk, blob in Upload.objects.filter(pk__in=upload_ids).values_list("pk", "rows_blob"):
        data = unpack(blob) or {}
        assert isinstance(data, dict)
        data_rows = data.get("rows") or [[]]
        rows[pk] = (list(data.get("headers") or []), list(data_rows[0]))
    by_assignment: dict[int, dict[str, dict[str, str]]] = {}  # assignment → unit code → record
    for i in with_version:
        headers, row = rows.get(i.contribution.current_version.upload_id, ([], []))  # type: ignore[union-attr]
        record = dict(zip(headers, row, strict=False))
        by_assignment.setdefault(i.contribution.assignment_id, {})[i.contribution.unit.code] = (
            record
        )
    for i in items:
        a = i.contribution.assignment
        owner_of = {f: code for code, names in (a.field_owners or {}).items() for f in names}
        mine = i.contribution.unit.code
        responsible = a.responsible_unit.code
        records = by_assignment.get(a.pk, {})
        if mine not in records:
            i.empty_required = []  # nothing uploaded: "not delivered" says it
            continue
        i.empty_required = [
            (name, 1)
            for name in required.get(i.table.pk, [])
            if owner_of.get(name, responsible) == mine
            and not str(records.get(mine, {}).get(name, "")).strip()
        ]
