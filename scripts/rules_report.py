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

from collection.schema import RULES_DIR, catalog

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "rules.md"
MARKER = "<!-- generated: rules table -->"
STATUSES = ("implemented", "cross_table", "not_implemented", "unmapped")


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
    return "unmapped" if entry is None else str(entry.get("status", "unmapped"))


def _counts(pairs: list[tuple[str, str]]) -> list[str]:
    counts = Counter(pairs)
    types = list(dict.fromkeys(kind for kind, _status in pairs))
    lines = ["| catalog type | " + " | ".join(STATUSES) + " | total |"]
    lines.append("|---|" + "---:|" * (len(STATUSES) + 1))
    for kind in types:
        numbers = [counts[(kind, status)] for status in STATUSES]
        lines.append(f"| {kind} | " + " | ".join(map(str, numbers)) + f" | {sum(numbers)} |")
    totals = [sum(counts[(kind, status)] for kind in types) for status in STATUSES]
    lines.append("| **total** | " + " | ".join(map(str, totals)) + f" | {sum(totals)} |")
    return lines


def _detail(entry: dict[str, Any] | None) -> str:
    if entry is None:
        return ""
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
