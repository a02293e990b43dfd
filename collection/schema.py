"""Plain data shared by the Excel and validation code: no ORM, no request.

A ``TableSchema`` describes one platform table for one cycle (built from a ``TableSpec`` row or
straight from the catalog file); a ``ParsedSheet`` is an upload read and normalised against a
schema; a ``Finding`` is one problem, located by Excel row and column.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

CATALOG_FILE = Path(__file__).resolve().parent / "catalog" / "catalog.json"
RULES_DIR = Path(__file__).resolve().parent / "catalog" / "rules"


class FieldType(StrEnum):
    TEXT = "text"
    INT = "int"
    DECIMAL = "decimal"
    CODE = "code"
    DATE = "date"
    BOOL = "bool"


class Severity(StrEnum):
    ERROR = "error"  # 错误: blocks submission
    EXPLAIN = "explain"  # 需说明: needs a written explanation
    HINT = "hint"  # 提示


# A code list whose name starts with this is known to be incomplete ("PARTIAL", "PARTIAL·收录情况"):
# a value outside it asks for an explanation instead of being an error, and the template's
# dropdown warns instead of refusing.
PARTIAL_LIST = "PARTIAL"
PERCENT = "percent"  # the format of a decimal field the platform takes as a percentage (94.8)


@dataclass(frozen=True)
class FieldSchema:
    name: str  # the Chinese header text, exactly as in the platform's template
    type: FieldType
    required: bool = False
    max_len: int | None = None
    format: str | None = None  # YYYY, YYYY-MM, YYYYMM, YYYY-MM-DD, url, mobile, email, percent
    codes: tuple[str, ...] = ()
    code_list: str | None = None
    help: str = ""
    multi: bool = False  # several values separated by ";"

    @property
    def percent(self) -> bool:
        """A ratio stored as the platform stores it: 94.8 for 94.8 % (docs/rules.md)."""
        return self.format == PERCENT

    @property
    def codes_open(self) -> bool:
        """The code list is known to be incomplete (see PARTIAL_LIST)."""
        return bool(self.codes) and (self.code_list or "").startswith(PARTIAL_LIST)


# Rule kinds that read other tables (collection/validation/crosstable.py); an upload's own check
# skips them.
CROSS_TABLE_KINDS = frozenset({"exists_in", "not_in", "aggregate_compare"})


@dataclass(frozen=True)
class RuleSpec:
    """One declarative rule (see docs/rules.md for the kinds and their parameters)."""

    id: str
    kind: str
    params: dict[str, Any]
    message: str
    severity: Severity = Severity.ERROR
    source: str = ""  # the catalog rule text it implements


@dataclass(frozen=True)
class TableSchema:
    code: str  # 表5-1-1
    name: str  # 开课情况
    sheet_name: str
    fields: tuple[FieldSchema, ...]
    row_mode: str = "list"  # "list" or "single"
    time_type: str | None = None  # 时点 / 学年 / 自然年
    category: str = ""
    key_fields: tuple[str, ...] = ()
    rules: tuple[RuleSpec, ...] = ()
    is_base_table: bool = False
    may_be_empty: bool = False
    # Prerequisites: the other tables its cross-table rules read (``rule_tables``).
    depends_on: tuple[str, ...] = ()
    spec_version: int = 1
    # Where the columns come from (FieldsStatus): "template", "2019", "provisional", "unknown".
    fields_status: str = "2019"

    @property
    def fields_pending(self) -> bool:
        """字段待确认: the columns are not public yet; the year's template settles them."""
        return self.fields_status in ("provisional", "unknown")

    @property
    def headers(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> FieldSchema:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


@dataclass(frozen=True)
class CycleDates:
    """The dates a cycle's rules compare against (regulation: 时点, 学年, 自然年)."""

    year: int  # 填报年度, e.g. 2026
    snapshot: date  # 时点, default 9月30日 of ``year``
    academic_start: date  # 学年: previous 9/1
    academic_end: date  # ... to 8/31 of ``year``
    natural_start: date  # 自然年: previous calendar year
    natural_end: date

    @classmethod
    def for_year(cls, year: int) -> CycleDates:
        return cls(
            year=year,
            snapshot=date(year, 9, 30),
            academic_start=date(year - 1, 9, 1),
            academic_end=date(year, 8, 31),
            natural_start=date(year - 1, 1, 1),
            natural_end=date(year - 1, 12, 31),
        )


@dataclass(frozen=True)
class Finding:
    severity: Severity
    message: str  # Chinese, says what is wrong and how to fix it
    row: int | None = None  # Excel row number in the uploaded file; None for the whole sheet
    column: str | None = None  # header text
    column_letter: str | None = None  # where that column is in the uploaded file
    value: str | None = None
    rule: str = ""  # rule id, e.g. "required", "code", "表2-1#0"
    # A cross-table rule's other tables (codes, e.g. ("表1-2", "表1-3")), to link to them.
    other_tables: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "row": self.row,
            "column": self.column,
            "column_letter": self.column_letter,
            "severity": self.severity.value,
            "value": self.value,
            "message": self.message,
            "rule": self.rule,
        }
        if self.other_tables:  # only then, so that stored single-table findings keep their form
            found["other_tables"] = list(self.other_tables)
        return found


@dataclass
class ParsedSheet:
    """An upload read against a schema. ``rows[i][j]`` is the normalised text of field j
    (schema order) in data row i; "" is an empty cell. ``row_numbers[i]`` is its Excel row."""

    schema: TableSchema
    rows: list[list[str]]
    row_numbers: list[int]
    column_letters: dict[str, str] = field(default_factory=dict)  # field name -> letter
    findings: list[Finding] = field(default_factory=list)  # structural (columns, template)
    sheet_name: str = ""
    header_row: int = 1

    def column(self, name: str) -> list[str]:
        index = self.schema.headers.index(name)
        return [row[index] for row in self.rows]


class RejectedFile(Exception):
    """The file cannot be read at all; the message (Chinese) says why and what to do.
    Nothing from it may be stored as accepted."""


def _mentions(value: Any) -> set[str]:
    """Every string inside a rule's parameters (field names among them)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_mentions(v) for v in value.values())) if value else set()
    if isinstance(value, list | tuple):
        return set().union(*(_mentions(v) for v in value)) if value else set()
    return set()


def partial_schema(schema: TableSchema, owned: set[str] | frozenset[str]) -> TableSchema:
    """The schema a unit that fills only ``owned`` fields of a single-record table is checked
    against: the other fields are not required, and rules that read any of them are left to the
    check of the merged row (where every unit's fields are together)."""
    others = {f.name for f in schema.fields} - set(owned)
    if not others:
        return schema
    return replace(
        schema,
        fields=tuple(replace(f, required=False) if f.name in others else f for f in schema.fields),
        rules=tuple(
            r
            for r in schema.rules
            if not (_mentions({k: v for k, v in r.params.items() if k != "examples"}) & others)
        ),
    )


def _field_from_json(raw: dict[str, Any]) -> FieldSchema:
    return FieldSchema(
        name=raw["name"],
        type=FieldType(raw["type"]),
        required=raw.get("required", False),
        max_len=raw.get("max_len"),
        format=raw.get("format"),
        codes=tuple(raw.get("codes") or ()),
        code_list=raw.get("code_list"),
        help=raw.get("help", ""),
        multi=raw.get("multi", False),
    )


def _rules_by_table() -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    if RULES_DIR.exists():
        for path in sorted(RULES_DIR.glob("*.json")):
            for entry in json.loads(path.read_text(encoding="utf-8")):
                found.setdefault(entry["table"], []).append(entry)
    return found


def rule_specs(entries: list[dict[str, Any]]) -> tuple[list[RuleSpec], tuple[str, ...]]:
    """Turn rule-mapping entries into RuleSpecs; also return the table's key (first unique rule)."""
    specs: list[RuleSpec] = []
    key: tuple[str, ...] = ()
    for entry in entries:
        if entry.get("status") != "implemented":
            continue
        for n, rule in enumerate(entry.get("rules", [])):
            params = {k: v for k, v in rule.items() if k not in {"kind", "message", "severity"}}
            if rule["kind"] == "unique" and not key:
                key = tuple(rule["fields"])
            specs.append(
                RuleSpec(
                    id=f"{entry['table']}#{entry['index']}" + (f".{n}" if n else ""),
                    kind=rule["kind"],
                    params=params,
                    message=rule.get("message") or entry.get("message", ""),
                    severity=Severity(rule.get("severity", "error")),
                    source=entry.get("catalog_rule", ""),
                )
            )
    return specs, key


def rule_tables(rules: Iterable[RuleSpec], own: str) -> tuple[str, ...]:
    """The other tables that ``rules`` read (every table a cross-table rule names, the base
    tables its codes come from included), in the order they first appear; never ``own``."""
    from collection.validation.crosstable import referenced_tables  # it imports this module

    found: dict[str, None] = {}
    for rule in rules:
        if rule.kind in CROSS_TABLE_KINDS:
            found.update(dict.fromkeys(t for t in referenced_tables(rule) if t != own))
    return tuple(found)


@cache
def catalog() -> dict[str, Any]:
    return json.loads(CATALOG_FILE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@cache
def catalog_schemas() -> dict[str, TableSchema]:
    """Every catalog table as a TableSchema, keyed by code (表1-1 …), in catalog order."""
    rules = _rules_by_table()
    found = {}
    for table in catalog()["tables"]:
        specs, key = rule_specs(rules.get(table["code"], []))
        found[table["code"]] = TableSchema(
            code=table["code"],
            name=table["name"],
            sheet_name=table["sheet_name"],
            fields=tuple(_field_from_json(f) for f in table["fields"]),
            row_mode=table["row_mode"] or "list",
            time_type=table["time_type"],
            category=table["category"],
            key_fields=key,
            rules=tuple(specs),
            is_base_table=table["is_base_table"],
            may_be_empty=table["may_be_empty"],
            depends_on=rule_tables(specs, table["code"]),
            fields_status=table.get("fields_status", "2019"),
        )
    return found
