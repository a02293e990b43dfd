"""Regenerate the catalog-rules tables at the end of docs/rules.md from the mapping files.

Run `python -m scripts.rules_report`. Only the text after the marker line is rewritten; the
marker is appended when missing. tests/collection/validation/test_catalog_rules.py fails when
the file is out of date.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from collection.schema import CROSS_TABLE_KINDS, RULES_DIR, catalog

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "rules.md"
MARKER = "<!-- generated: rules table -->"
# How a catalog rule runs: "in-table" (an upload's own check), "cross-table" (crosscheck(),
# against the other tables' data), or not at all; "cross_table" is the old status of a rule
# that needs another table and is not mapped yet.
STATUSES = ("in-table", "cross-table", "cross_table", "not_implemented", "unmapped")


def mapping_entries(rules_dir: Path = RULES_DIR) -> list[tuple[str, dict[str, Any]]]:
    """(file name, entry) for every entry of every mapping file, in file order."""
    found = []
    for path in sorted(rules_dir.glob("*.json")):
        for entry in json.loads(path.read_text(encoding="utf-8")):
            found.append((path.name, entry))
    return found


def render(catalog_data: dict[str, Any], entries: list[dict[str, Any]]) -> str:
    by_rule: dict[tuple[str, int], dict[str, Any]] = {}
    for mapped in entries:
        by_rule.setdefault((mapped["table"], mapped["index"]), mapped)
    rows = [
        (table, rule, by_rule.get((table["code"], rule["index"])))
        for table in catalog_data["tables"]
        for rule in table["catalog_rules"]
    ]
    lines = [
        "",
        "## Catalog rules and their mapping",
        "",
        "Generated from `collection/catalog/catalog.json` and `collection/catalog/rules/*.json` by",
        "`python -m scripts.rules_report`; do not edit below the marker.",
        "",
        *_counts([(rule["type"], _status(entry)) for _table, rule, entry in rows]),
        "",
        "in-table: checked with every upload; cross-table: checked against the other tables'",
        "current data (`collection/services/crosscheck.py`).",
        *_readers(rows),
    ]
    for category in dict.fromkeys(table["category"] for table in catalog_data["tables"]):
        lines += ["", f"### {category}", "", "| table | catalog rule | status | kinds or reason |"]
        lines.append("|---|---|---|---|")
        for table, rule, entry in rows:
            if table["category"] == category:
                cells = [table["code"], _cell(rule["rule"]), _status(entry), _detail(entry)]
                lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _status(entry: dict[str, Any] | None) -> str:
    status = "unmapped" if entry is None else str(entry.get("status", "unmapped"))
    if status != "implemented" or entry is None:
        return status
    kinds = {rule.get("kind") for rule in entry.get("rules", [])}
    return "cross-table" if kinds and kinds <= CROSS_TABLE_KINDS else "in-table"


def _others(rule: dict[str, Any]) -> list[str]:
    if rule.get("kind") == "aggregate_compare":
        return [str(rule.get("right", {}).get("table", "?"))]
    return [str(t.get("table", "?")) for t in rule.get("tables", [])]


def _readers(rows: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]]) -> list[str]:
    """Which tables' cross-table rules read each table (so a change to it re-checks them)."""
    readers: dict[str, dict[str, None]] = {}
    for table, _rule, entry in rows:
        if _status(entry) == "cross-table" and entry is not None:
            for rule in entry["rules"]:
                for other in _others(rule):
                    readers.setdefault(other, {})[table["code"]] = None
    order = {table["code"]: n for n, (table, _r, _e) in enumerate(rows)}
    lines = ["", "### Tables read by cross-table rules", "", "| table | read by |", "|---|---|"]
    for other in sorted(readers, key=lambda code: order.get(code, len(order))):
        lines.append(f"| {other} | {', '.join(readers[other])} |")
    return lines


def _counts(pairs: list[tuple[str, str]]) -> list[str]:
    counts = Counter(pairs)
    types = list(dict.fromkeys(kind for kind, _status in pairs))
    # The old "cross_table" column only while some rule still has that status.
    shown = [s for s in STATUSES if s != "cross_table" or counts_of(counts, s)]
    lines = ["| catalog type | " + " | ".join(shown) + " | total |"]
    lines.append("|---|" + "---:|" * (len(shown) + 1))
    for kind in types:
        numbers = [counts[(kind, status)] for status in shown]
        lines.append(f"| {kind} | " + " | ".join(map(str, numbers)) + f" | {sum(numbers)} |")
    totals = [sum(counts[(kind, status)] for kind in types) for status in shown]
    lines.append("| **total** | " + " | ".join(map(str, totals)) + f" | {sum(totals)} |")
    return lines


def counts_of(counts: Counter[tuple[str, str]], status: str) -> int:
    return sum(n for (_kind, s), n in counts.items() if s == status)


def _detail(entry: dict[str, Any] | None) -> str:
    if entry is None:
        return ""
    if _status(entry) == "cross-table":
        return "; ".join(
            f"{rule.get('kind')} {', '.join(_others(rule))}"
            + (" (需说明)" if rule.get("severity") == "explain" else "")
            for rule in entry["rules"]
        )
    if entry.get("status") == "implemented":
        kinds = Counter(rule.get("kind", "?") for rule in entry.get("rules", []))
        return ", ".join(kind if n == 1 else f"{kind} ×{n}" for kind, n in kinds.items())
    return _cell(entry.get("reason", ""))


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def generated_part(text: str) -> str | None:
    """The text after the marker line, or None when there is no marker."""
    _head, marker, tail = text.partition(MARKER + "\n")
    return tail if marker else None


def update(doc: Path = DOC) -> bool:
    """Rewrite the generated part of ``doc``; True when the file changed."""
    text = doc.read_text(encoding="utf-8")
    generated = render(catalog(), [entry for _name, entry in mapping_entries()])
    head = text.partition(MARKER)[0]
    if MARKER not in text:
        head = head.rstrip("\n") + "\n\n"
    new = head + MARKER + "\n" + generated
    if new == text:
        return False
    doc.write_text(new, encoding="utf-8")
    return True


def main() -> int:
    changed = update()
    print(f"{DOC.relative_to(ROOT)} {'updated' if changed else 'already up to date'}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
