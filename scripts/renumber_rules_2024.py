"""One-off (done 2026-12-07): bring collection/catalog/rules/*.json from the 2019/2020 numbering to
the 2024 numbering of collection/catalog/evidence-2024.json. Not idempotent (表2-7 → 表2-6 →
表2-5), so it refuses to run twice: the rules files then carry "numbering": "2024" in their
first entry's "_numbering" key.

Rules of a table left out of the catalog go; a rule that reads a table left out goes too (before
renumbering, so that it never points at the table that took the code). The platform's original
rule text ("source", "catalog_rule") is history and keeps its 2019 codes.

    python -m scripts.renumber_rules_2024

A second step, safe to repeat, gives the renamed tables their 2024 names in the rule messages
("表1-5-3 外聘教师基本信息" → "表1-5-3 外聘和兼职教师基本信息").
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from collection.renumber import referenced_codes, renumber

CATALOG = Path(__file__).resolve().parent.parent / "collection" / "catalog"
KEEP_AS_WRITTEN = {"source", "catalog_rule", "catalog_type"}


def main() -> int:
    evidence = json.loads((CATALOG / "evidence-2024.json").read_text(encoding="utf-8"))
    tables = evidence["tables"]
    dropped = {code for code, t in tables.items() if t["status"] == "dropped"}
    mapping = {code: t["code"] for code, t in tables.items() if t.get("code", code) != code}
    for path in sorted((CATALOG / "rules").glob("*.json")):
        text = path.read_text(encoding="utf-8")
        entries = json.loads(text)
        indent = len(text.split("\n")[1]) - len(text.split("\n")[1].lstrip())
        if entries and entries[0].get("_numbering") == "2024":
            print(f"{path.name}: already in the 2024 numbering")
            continue
        kept = []
        for entry in entries:
            if entry["table"] in dropped:
                print(f"{path.name}: {entry['table']} #{entry['index']} goes with its table")
                continue
            rules = []
            for rule in entry.get("rules", []):
                gone = referenced_codes(rule) & dropped - {entry["table"]}
                if gone:
                    print(
                        f"{path.name}: {entry['table']} #{entry['index']} {rule['kind']} reads "
                        f"{', '.join(sorted(gone))}, left out: the rule goes"
                    )
                    continue
                rules.append(rule)
            if entry.get("rules") and not rules:
                entry = {
                    **entry,
                    "status": "not_applicable",
                    "note": "reads a table the 2024 evidence no longer has",
                }
            entry = {
                k: (v if k in KEEP_AS_WRITTEN else renumber(v, mapping))
                for k, v in {**entry, "rules": rules}.items()
            }
            kept.append(entry)
        if kept:
            kept[0] = {"_numbering": "2024", **kept[0]}
        path.write_text(
            json.dumps(kept, ensure_ascii=False, indent=indent) + "\n", encoding="utf-8"
        )
        print(f"{path.name}: {len(kept)} entries")
    return 0


def renamed_pairs(tables: dict[str, Any]) -> list[tuple[re.Pattern[str], str]]:
    """(old "code name" as a pattern, new "code name") of every renamed table, from the catalog
    as it was before the renumbering (git: the commit before the 2024 numbering)."""
    before = subprocess.run(
        ["git", "show", "626a168:collection/catalog/catalog.json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=CATALOG,
    ).stdout
    old_names = {t["code"]: t["name"] for t in json.loads(before)["tables"]}
    pairs = []
    for code, t in tables.items():
        if t["status"] in ("renamed", "renumbered") and t.get("name"):
            new = t.get("code", code)
            for gap in (" ", ""):
                old_text, new_text = f"{new}{gap}{old_names[code]}", f"{new}{gap}{t['name']}"
                tail = new_text[len(old_text) :] if new_text.startswith(old_text) else ""
                guard = f"(?!{re.escape(tail)})" if tail else ""
                pairs.append((re.compile(re.escape(old_text) + guard), new_text))
    return pairs


def rename(value: Any, pairs: list[tuple[re.Pattern[str], str]]) -> Any:
    if isinstance(value, str):
        for pattern, new in pairs:
            value = pattern.sub(new, value)
        return value
    if isinstance(value, list):
        return [rename(v, pairs) for v in value]
    if isinstance(value, dict):
        return {k: (v if k in KEEP_AS_WRITTEN else rename(v, pairs)) for k, v in value.items()}
    return value


def rename_messages() -> None:
    evidence = json.loads((CATALOG / "evidence-2024.json").read_text(encoding="utf-8"))
    pairs = renamed_pairs(evidence["tables"])
    for path in sorted((CATALOG / "rules").glob("*.json")):
        text = path.read_text(encoding="utf-8")
        indent = len(text.split("\n")[1]) - len(text.split("\n")[1].lstrip())
        renamed = rename(json.loads(text), pairs)
        path.write_text(json.dumps(renamed, ensure_ascii=False, indent=indent) + "\n", "utf-8")


if __name__ == "__main__":
    status = main()
    rename_messages()
    raise SystemExit(status)
