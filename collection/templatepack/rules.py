"""A table's rules carried through a template pack: renumbered, columns renamed, or set inactive.

Plain Python, on the rule entries of ``TableSpec.rules`` (docs/rules.md). When the office
confirms a pack:

1. every table code in every rule is renumbered with the pack's old → new mapping, in one pass
   for all tables (``collection.renumber``), except the platform's own rule text
   (``catalog_rule``, ``catalog_type``, ``source``), which is history;
2. a column the pack renamed is renamed in the rule (its parameters, its examples' rows and the
   “quoted” name in its message), in the rule's own table and in the tables it reads;
3. a rule that reads a column no longer in its table, or a table no longer in the cycle, is
   never kept silently broken: its entry becomes ``"status": "inactive"`` with the reason in
   ``inactive_reason`` (``rule_specs`` runs only ``implemented`` entries), for the office to
   map again or leave.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from collection.renumber import renumber

KEEP_AS_WRITTEN = {"source", "catalog_rule", "catalog_type"}
INACTIVE = "inactive"
OWN = ""  # the rule's own table in a Reference

# A column seen in a rule: (table code, "" for the rule's own table; column name).
Reference = tuple[str, str]


@dataclass
class Outcome:
    entries: list[dict[str, Any]]
    deactivated: list[tuple[str, str]] = field(default_factory=list)  # (rule id, reason)
    renamed: int = 0  # entries whose columns were renamed


def columns_read(rule: dict[str, Any]) -> set[Reference]:
    """Every column a rule reads: (OWN, name) for its own table, (code, name) for another."""
    found: set[Reference] = set()
    _walk({k: v for k, v in rule.items() if k not in ("examples", "message")}, OWN, found.add)
    return found


def _walk(node: Any, table: str, seen: Callable[[Reference], None]) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, table, seen)
        return
    if not isinstance(node, dict):
        return
    other = node.get("table") if isinstance(node.get("table"), str) else None
    here = other or table
    for key, value in node.items():
        if key in ("field", "earlier", "later") and isinstance(value, str):
            seen((here, value))
        elif key == "fields" and isinstance(value, list):
            for name in value:
                if isinstance(name, str):
                    seen((here, name))
        elif key == "sum" and isinstance(value, str | list):
            for name in [value] if isinstance(value, str) else value:
                if isinstance(name, str):
                    seen((here, name))
        elif key == "skip" and isinstance(value, dict):
            for name in value:
                seen((here, name))
        elif key == "match" and isinstance(value, dict):
            for own, theirs in value.items():
                seen((table, own))
                if isinstance(theirs, str):
                    seen((here, theirs))
        elif key == "tables" and isinstance(value, list):
            _walk(value, table, seen)
        elif key == "where":
            _walk(value, here, seen)
        elif isinstance(value, dict | list):
            _walk(value, here if key != "left" else table, seen)


def _rename(node: Any, table: str, names: Callable[[str, str], str]) -> Any:
    """``node`` with every column name in a column position replaced by ``names(table, name)``."""
    if isinstance(node, list):
        return [_rename(item, table, names) for item in node]
    if not isinstance(node, dict):
        return node
    other = node.get("table") if isinstance(node.get("table"), str) else None
    here = other or table
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("field", "earlier", "later") and isinstance(value, str):
            out[key] = names(here, value)
        elif key in ("fields", "sum") and isinstance(value, list):
            out[key] = [names(here, v) if isinstance(v, str) else v for v in value]
        elif key == "sum" and isinstance(value, str):
            out[key] = names(here, value)
        elif key == "skip" and isinstance(value, dict):
            out[key] = {names(here, k): v for k, v in value.items()}
        elif key == "match" and isinstance(value, dict):
            out[key] = {
                names(table, k): names(here, v) if isinstance(v, str) else v
                for k, v in value.items()
            }
        elif key == "where":
            out[key] = _rename(value, here, names)
        elif key == "tables" and isinstance(value, list):
            out[key] = _rename(value, table, names)
        elif isinstance(value, dict | list):
            out[key] = _rename(value, here if key != "left" else table, names)
        else:
            out[key] = value
    return out


def _rename_examples(examples: Any, names: Callable[[str, str], str]) -> Any:
    """Example rows keyed by column names: a row, a list of rows, or {"rows", "tables"}."""

    def row(value: Any, table: str) -> Any:
        if isinstance(value, dict):
            return {names(table, k) if isinstance(k, str) else k: v for k, v in value.items()}
        if isinstance(value, list):
            return [row(v, table) for v in value]
        return value

    def example(value: Any) -> Any:
        if isinstance(value, dict) and "rows" in value:
            return {
                **value,
                "rows": row(value["rows"], OWN),
                "tables": {
                    code: row(rows, code) for code, rows in (value.get("tables") or {}).items()
                },
            }
        return row(value, OWN)

    if not isinstance(examples, dict):
        return examples
    return {k: [example(e) for e in v] if isinstance(v, list) else v for k, v in examples.items()}


def carry_rules(
    entries: list[dict[str, Any]],
    *,
    own_code: str,
    mapping: Mapping[str, str],
    renames: Mapping[str, Mapping[str, str]],
    columns: Mapping[str, set[str]],
) -> Outcome:
    """The rule entries of one table carried through a pack (see the module docstring).

    ``own_code``: the table's code before the pack; ``mapping``: old → new code of every table
    that changes its code; ``renames``: per old code, old column → new column; ``columns``: per
    old code, the columns the table has after the pack (a table of the cycle missing from it is
    gone)."""
    result = Outcome([])
    for original in entries:
        entry = copy.deepcopy(original)
        reason = ""
        if entry.get("status") == "implemented":
            rules = entry.get("rules") or []
            reason = _broken(rules, own_code, mapping, renames, columns)
            if not reason:
                renamed = _renamed_rules(rules, own_code, renames)
                if renamed != rules:
                    entry["rules"] = renamed
                    result.renamed += 1
        entry = {k: (v if k in KEEP_AS_WRITTEN else renumber(v, mapping)) for k, v in entry.items()}
        if reason:
            entry["status"] = INACTIVE
            entry["inactive_reason"] = reason
            result.deactivated.append(
                (f"{entry.get('table', '')}#{entry.get('index', '')}", reason)
            )
        result.entries.append(entry)
    return result


def _broken(
    rules: list[dict[str, Any]],
    own_code: str,
    mapping: Mapping[str, str],
    renames: Mapping[str, Mapping[str, str]],
    columns: Mapping[str, set[str]],
) -> str:
    """Why the rules can no longer run after the pack, or ""."""
    for rule in rules:
        for table, name in sorted(columns_read(rule)):
            code = table or own_code
            if code not in columns:
                return _(
                    "It reads last year's %(table)s, which is not in this year's template pack."
                ) % {"table": code}
            new = renames.get(code, {}).get(name, name)
            if new not in columns[code]:
                return _(
                    "It reads column “%(column)s” of %(table)s, which is not in this year's "
                    "template."
                ) % {"column": name, "table": mapping.get(code, code)}
    return ""


def _renamed_rules(
    rules: list[dict[str, Any]], own_code: str, renames: Mapping[str, Mapping[str, str]]
) -> list[dict[str, Any]]:
    def names(table: str, name: str) -> str:
        return renames.get(table or own_code, {}).get(name, name)

    out = []
    for rule in rules:
        new = _rename(
            {k: v for k, v in rule.items() if k not in ("examples", "message")}, OWN, names
        )
        if "examples" in rule:
            new["examples"] = _rename_examples(rule["examples"], names)
        if "message" in rule:
            message = rule["message"]
            for table, name in columns_read(rule):
                if names(table, name) != name:
                    message = message.replace(f"“{name}”", f"“{names(table, name)}”")
            new["message"] = message
        out.append({k: new[k] for k in rule})  # the rule's own key order
    return out
