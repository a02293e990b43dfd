"""What confirming a pack will do, computed before anything changes (the change report).

Plain Python, from the stored report (the pack's tables and the automatic matches), the office's
corrections and the cycle's tables as they are now. The report page shows the plan; the
confirmation carries out the same plan, so what the office read is what happens.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from collection.specdiff import HeaderDiff, header_key
from collection.templatepack.identify import code_order
from collection.templatepack.match import TableShape, column_changes, confidence, kind_of_match
from collection.templatepack.rules import carry_rules

NEW = "new"  # the office's choice "a new table" in ``decisions``


@dataclass(frozen=True)
class CycleTable:
    """A table of the cycle as the plan needs it."""

    pk: int
    code: str
    name: str
    headers: tuple[str, ...]
    codes: Mapping[str, int] = field(default_factory=dict)  # header → values in its code list
    rules: Sequence[dict[str, Any]] = ()
    depends_on: Sequence[str] = ()
    has_assignment: bool = False
    has_data: bool = False  # a version was uploaded for it in this cycle

    def shape(self) -> TableShape:
        return TableShape(self.pk, self.code, self.name, self.headers)


@dataclass
class CodeListChange:
    header: str
    values: list[str]
    before: int  # values in the field's list now (0: none)


@dataclass
class TablePlan:
    index: int  # in the report's table list
    pack: dict[str, Any]  # the pack table as stored in the report
    target: CycleTable | None
    kind: str  # same / renamed / renumbered / new
    confidence: int
    auto: int | None  # the automatic match's pk
    corrected: bool
    columns: HeaderDiff | None
    code_lists: list[CodeListChange]
    choices: list[tuple[int, str, int]]  # (pk, label, confidence) the office may pick

    @property
    def code(self) -> str:
        return str(self.pack["code"])

    @property
    def renamed_columns(self) -> dict[str, str]:
        """Old column → new column: the renames of the diff, and the columns whose header
        differs only in spaces or width (the same column, written as the template writes it)."""
        if self.columns is None or self.target is None:
            return {}
        found = dict(self.columns.renamed)
        new_by_key = {header_key(h): h for h in self.pack["headers"]}
        for old in self.target.headers:
            new = new_by_key.get(header_key(old))
            if new is not None and new != old:
                found[old] = new
        return found


@dataclass
class Plan:
    tables: list[TablePlan]
    gone: list[CycleTable]
    mapping: dict[str, str]  # old code → new code
    rules: dict[int, tuple[list[dict[str, Any]], list[tuple[str, str]]]]  # pk → entries, off
    problems: list[str]  # why the pack cannot be confirmed as it stands (codes, not texts)
    double_targets: list[str]
    gone_with_data: list[str]

    def of_kind(self, kind: str) -> list[TablePlan]:
        return [t for t in self.tables if t.kind == kind]

    @property
    def deactivated(self) -> list[tuple[str, str]]:
        return [item for _entries, off in self.rules.values() for item in off]

    @property
    def confirmable(self) -> bool:
        return not self.problems

    @property
    def counts(self) -> dict[str, int]:
        kinds = Counter(t.kind for t in self.tables)
        return {
            "same": kinds["same"],
            "renamed": kinds["renamed"],
            "renumbered": kinds["renumbered"],
            "new": kinds["new"],
            "gone": len(self.gone),
            "changed_columns": sum(1 for t in self.tables if t.columns and t.columns.changed),
        }


def shape_of(table: Mapping[str, Any]) -> TableShape:
    return TableShape(table["code"], table["code"], table["name"], tuple(table["headers"]))


def build_plan(
    report: Mapping[str, Any], decisions: Mapping[str, Any], cycle: Sequence[CycleTable]
) -> Plan:
    by_pk = {t.pk: t for t in cycle}
    tables: list[TablePlan] = []
    for index, pack in enumerate(report.get("tables", [])):
        auto = pack.get("auto")
        chosen = decisions.get(pack["code"], auto if auto in by_pk else None)
        target = None if chosen in (None, NEW) else by_pk.get(chosen)
        shape = shape_of(pack)
        tables.append(
            TablePlan(
                index=index,
                pack=pack,
                target=target,
                kind=kind_of_match(shape, target.shape() if target else None),
                confidence=confidence(shape, target.shape()) if target else 0,
                auto=auto if auto in by_pk else None,
                corrected=pack["code"] in decisions and decisions[pack["code"]] != auto,
                columns=column_changes(target.headers, pack["headers"]) if target else None,
                code_lists=_code_lists(pack, target),
                choices=[],
            )
        )
    targets = [t.target.pk for t in tables if t.target]
    double = sorted({by_pk[pk].code for pk in targets if targets.count(pk) > 1}, key=code_order)
    used = set(targets)
    gone = [t for t in cycle if t.pk not in used]
    for plan in tables:
        plan.choices = _choices(plan, by_pk, gone)
    mapping = {t.target.code: t.code for t in tables if t.target and t.target.code != t.code}
    gone_with_data = [t.code for t in gone if t.has_data]
    problems = [*(["conflicts"] if report.get("conflicts") else [])]
    if double:
        problems.append("double")
    if gone_with_data:
        problems.append("gone_with_data")
    return Plan(
        tables=tables,
        gone=gone,
        mapping=mapping,
        rules=_rules(tables, cycle, mapping) if not double else {},
        problems=problems,
        double_targets=double,
        gone_with_data=gone_with_data,
    )


def _code_lists(pack: Mapping[str, Any], target: CycleTable | None) -> list[CodeListChange]:
    """The template's lists, each replacing the list of its column (see docs/template-packs)."""
    if not pack.get("codes"):
        return []
    renamed = dict(column_changes(target.headers, pack["headers"]).renamed) if target else {}
    before_by_key: dict[str, int] = {}
    if target:
        back = {new: old for old, new in renamed.items()}
        for header in pack["headers"]:
            old = back.get(header) or next(
                (h for h in target.headers if header_key(h) == header_key(header)), None
            )
            if old is not None:
                before_by_key[header] = target.codes.get(old, 0)
    return [
        CodeListChange(header, list(values), before_by_key.get(header, 0))
        for header, values in pack["codes"].items()
    ]


def _choices(
    plan: TablePlan, by_pk: Mapping[int, CycleTable], gone: Sequence[CycleTable]
) -> list[tuple[int, str, int]]:
    """The tables the office may pick for a pack table: its match, its best candidates and
    every table no pack table has taken; each with its confidence."""
    shape = shape_of(plan.pack)
    picks: list[int] = []
    for pk in [
        *([plan.target.pk] if plan.target else []),
        *(pk for pk, _value in plan.pack.get("candidates", []) if pk in by_pk),
        *(t.pk for t in sorted(gone, key=lambda t: code_order(t.code))),
    ]:
        if pk not in picks:
            picks.append(pk)
    return [
        (pk, f"{by_pk[pk].code} {by_pk[pk].name}", confidence(shape, by_pk[pk].shape()))
        for pk in picks
    ]


def _rules(
    tables: Sequence[TablePlan], cycle: Sequence[CycleTable], mapping: Mapping[str, str]
) -> dict[int, tuple[list[dict[str, Any]], list[tuple[str, str]]]]:
    """Every surviving table's rules carried through the pack (``rules.carry_rules``)."""
    kept = {t.target.code: t for t in tables if t.target}
    renames = {code: t.renamed_columns for code, t in kept.items()}
    columns = {code: set(t.pack["headers"]) for code, t in kept.items()}
    found = {}
    for table in cycle:
        if table.code not in kept or not table.rules:
            continue
        outcome = carry_rules(
            list(table.rules),
            own_code=table.code,
            mapping=mapping,
            renames=renames,
            columns=columns,
        )
        found[table.pk] = (outcome.entries, outcome.deactivated)
    return found
