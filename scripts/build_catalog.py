"""Build collection/catalog/catalog.json, the project's own copy of the platform's tables,
from the research catalog (../shared/reference/catalog.json, the 2019 table set with section 1
numbered as in 2020) brought to the newest public numbering by
collection/catalog/evidence-2024.json, with the field corrections of
collection/catalog/corrections.json (when that file exists) applied on top.

Run when any of them changes: `python -m scripts.build_catalog [SOURCE]`. The output is the same
for the same inputs. It keeps what the app needs (tables, fields, code lists, rules as catalog
text, per table its source and confidence) and drops research notes; its "provenance" entry says
where the facts come from. A decision or correction that names no table or field of the catalog
stops the build (BuildError) instead of being skipped.
"""

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "reference" / "catalog.json"
OUTPUT = ROOT / "collection" / "catalog" / "catalog.json"
EVIDENCE = ROOT / "collection" / "catalog" / "evidence-2024.json"
CORRECTIONS = ROOT / "collection" / "catalog" / "corrections.json"
FORMATS = {"YYYY", "YYYY-MM", "YYYYMM", "YYYY-MM-DD", "url", "mobile", "email"}
SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# Fields whose cells hold several values separated by ";" (指标解释 of 5-1-1 and the real data).
MULTI_HINT = re.compile(r"英文分号|分号隔开|用“;”|用';'")


def sheet_name(code: str, name: str) -> str:
    return SHEET_FORBIDDEN.sub("", f"{code.removeprefix('表')}{name}")[:31]


def field(raw: dict, code_lists: dict) -> dict:
    fmt = raw.get("format")
    if fmt and fmt.lower().startswith("url"):
        fmt = "url"
    codes = list(raw.get("codes") or [])
    list_name = raw.get("code_list")
    if not codes and list_name in code_lists:
        codes = list(code_lists[list_name]["values"])
    kind = raw["type"]
    if kind == "bool" and not codes:
        codes = ["是", "否"]
    return {
        "name": raw["name"].strip(),
        "type": kind,
        "required": bool(raw.get("required")),
        "max_len": raw.get("max_len"),
        "format": fmt if fmt in FORMATS else None,
        "codes": codes,
        "code_list": (list_name.split(" ")[0] if list_name else None) if codes else None,
        "help": (raw.get("desc") or "").strip(),
        "multi": bool(MULTI_HINT.search(raw.get("desc") or "")),
    }


def _pair_multi(fields: list[dict]) -> list[dict]:
    """A staff-ID column beside a multi-valued name column (授课教师 / 授课教师工号) holds as many
    values, separated the same way."""
    multi = {f["name"] for f in fields if f["multi"]}
    for f in fields:
        if f["name"].endswith("工号") and f["name"].removesuffix("工号") in multi:
            f["multi"] = True
    return fields


def table_1_1(table: dict) -> list[dict]:
    """表1-1 follows the 2021 structure (校区 and 办学指导思想 merged in), with the 2019 details."""
    old = {f["name"]: f for f in table["fields"]}
    renamed = {
        "填报人-姓名": "姓名",
        "填报人-联系电话": "联系电话",
        "填报人-联系电子邮箱": "联系电子邮箱",
    }
    merged = []
    for f in table["fields_2021_structure"]:
        base = dict(old.get(renamed.get(f["name"], f["name"]), {}))
        base.update({k: v for k, v in f.items() if k != "note"})
        base.setdefault(
            "max_len", 500 if "地址" in f["name"] or "办学指导思想" in f["name"] else 100
        )
        merged.append(base)
    return merged


def tables_2019(data: dict) -> list[dict]:
    """The research catalog's tables as the app reads them, in the 2020 numbering."""
    code_lists = data["code_lists"]
    tables = []
    for table in data["tables"]:
        if not table["fields"] or "(" in table["code"]:
            continue  # GK-* has no known fields; 1-2/1-9 of 2019 were merged into 1-1
        raw_fields = table_1_1(table) if table["code"] == "表1-1" else table["fields"]
        tables.append(
            {
                "code": table["code"],
                "code_2019": table["code_2019"],
                "name": table["name"],
                "sheet_name": sheet_name(table["code"], table["name"]),
                "category": table["category"],
                "time_type": table["time_type"],
                "row_mode": table["row_mode"],
                "is_base_table": table["is_base_table"],
                "may_be_empty": table.get("table_may_be_empty", False),
                "responsible_hint": table["responsible_hint"],
                "fields": _pair_multi([field(f, code_lists) for f in raw_fields]),
                "catalog_rules": [
                    {
                        "index": i,
                        "type": r["type"],
                        "rule": r["rule"].strip(),
                        "message": r["message"].strip(),
                    }
                    for i, r in enumerate(table["validation_rules"])
                ],
            }
        )
    return tables


def build(source: Path, evidence: Path = EVIDENCE, corrections: Path | None = CORRECTIONS) -> dict:
    data = json.loads(source.read_text(encoding="utf-8"))
    code_lists = data["code_lists"]
    tables = at_evidence(tables_2019(data), json.loads(evidence.read_text(encoding="utf-8")))
    if corrections is not None and corrections.exists():
        apply_corrections(tables, json.loads(corrections.read_text(encoding="utf-8")))
    return {
        "provenance": (
            "Built by scripts/build_catalog.py. Numbering, names, tables added and left out, "
            "supplementary sets, and per table its source and confidence: the 2024 evidence "
            "(collection/catalog/evidence-2024.json: a 2024 school-level system's citations, the "
            "2020 notice, the 2021 内涵说明). Field-level facts come from the 2018-2019 table set "
            "of the national platform as rebuilt by a vendor (GitHub robbinpeng/educationSystem2: "
            "fields, types, lengths, formats, 指标解释, code lists, 307 validation rules), with the "
            "corrections of collection/catalog/corrections.json; a table whose columns are not "
            "public has none (字段待确认). THE OFFICE MUST CHECK EVERY TABLE AGAINST EACH YEAR'S "
            "OFFICIAL 数据填报指南 / 内涵说明 and load the year's blank templates."
        ),
        "statistics_time_definitions": data["statistics_time_definitions"],
        "code_lists": {name: cl["values"] for name, cl in code_lists.items()},
        "tables": tables,
    }


class BuildError(Exception):
    """The evidence or the corrections do not fit the research catalog."""


# Short names of the evidence's sources, for the text the table pages show (in Chinese: the
# pages are; the English notes of the evidence file stay in the README).
SOURCE_LABELS = {
    "S2019": "2019 年表集（GitHub robbinpeng/educationSystem2）",
    "S2020": "2020 年学校通知",
    "S2021": "2021 年《数据表格及内涵说明》",
    "S2023": "2023 年中北大学通知",
    "S2024": "2024 年学校端采集系统引用（GitHub Kariya-Eric/DataCollection）",
    "SF": "2018 年师范类模板及 2020、2022 年学校通知",
    "SUPP": "2024 年学校端采集系统的补充表设置（GitHub Kariya-Eric/DataCollection）",
}
COLUMNS = {
    "2019": "字段沿用 2019 年表集",
    "provisional": "字段沿用 2019 年的前身表，待以本年度模板确认（字段待确认）",
    "unknown": "字段未公开（字段待确认）",
}
CONFIDENCE_NOTES = {"medium": "据近年资料推定", "low": "2019 年后未见引用"}
STATUSES = {"kept", "renamed", "renumbered", "dropped", "supplement"}
CONFIDENCES = {"high", "medium", "low"}


def source_text(decision: dict) -> str:
    """What the table pages show as the table's source: the evidence, the columns, the note."""
    for key in decision.get("sources", []):
        if key not in SOURCE_LABELS:
            raise BuildError(f"unknown source {key!r}: add it to SOURCE_LABELS")
    parts = [SOURCE_LABELS[key] for key in decision.get("sources", [])]
    if note := CONFIDENCE_NOTES.get(decision.get("confidence", "")):
        parts.append(note)
    parts.append(COLUMNS[decision.get("fields", "2019")])
    return "；".join(parts)


def _decided(code: str, decision: dict, supplements: dict) -> None:
    if decision.get("status") not in STATUSES:
        raise BuildError(f"{code}: status {decision.get('status')!r} is not one of {STATUSES}")
    if decision["status"] == "dropped":
        return
    if decision.get("confidence") not in CONFIDENCES:
        raise BuildError(f"{code}: confidence {decision.get('confidence')!r}")
    if decision.get("fields", "2019") not in COLUMNS:
        raise BuildError(f"{code}: fields {decision.get('fields')!r}")
    if decision["status"] == "supplement" and decision.get("supplement") not in supplements:
        raise BuildError(f"{code}: supplement {decision.get('supplement')!r}")


def _new_table(new: dict) -> dict:
    if new.get("fields") != "unknown":
        raise BuildError(f"{new['code']}: a new table's columns are 'unknown' until a template")
    return {
        "code": new["code"],
        "previous_code": "",
        "code_2019": "",
        "name": new["name"],
        "sheet_name": sheet_name(new["code"], new["name"]),
        "category": new["category"],
        "time_type": new["time_type"],
        "row_mode": new["row_mode"],
        "is_base_table": False,
        "may_be_empty": False,
        "responsible_hint": "",
        "supplement": "",
        "confidence": new["confidence"],
        "fields_status": "unknown",
        "source": source_text(new),
        "fields": [],
        "catalog_rules": [],
    }


def at_evidence(tables: list[dict], evidence: dict) -> list[dict]:
    """``tables`` (2020 numbering) brought to the evidence's numbering: renamed and renumbered
    tables take their new code and name, dropped ones go, new ones come after their "after"."""
    decisions = evidence["tables"]
    codes = [t["code"] for t in tables]
    if set(codes) != set(decisions):
        raise BuildError(
            f"evidence and catalog disagree: no decision for {sorted(set(codes) - set(decisions))},"
            f" no table for {sorted(set(decisions) - set(codes))}"
        )
    new_after: dict[str, list[dict]] = {}
    for new in evidence.get("new", []):
        _decided(new["code"], {**new, "status": "kept"}, evidence.get("supplements", {}))
        new_after.setdefault(new["after"], []).append(new)
    found = []
    for table in tables:
        decision = decisions[table["code"]]
        _decided(table["code"], decision, evidence.get("supplements", {}))
        if decision["status"] == "dropped":
            continue
        code = decision.get("code", table["code"])
        name = decision.get("name", table["name"])
        found.append(
            {
                "code": code,
                "previous_code": table["code"],
                "code_2019": table["code_2019"],
                "name": name,
                "sheet_name": sheet_name(code, name),
                **{k: table[k] for k in ("category", "time_type", "row_mode", "is_base_table")},
                "may_be_empty": table["may_be_empty"],
                "responsible_hint": table["responsible_hint"],
                "supplement": decision.get("supplement", ""),
                "confidence": decision["confidence"],
                "fields_status": decision.get("fields", "2019"),
                "source": source_text(decision),
                "fields": table["fields"],
                "catalog_rules": table["catalog_rules"],
            }
        )
        found += [_new_table(new) for new in new_after.pop(code, [])]
    if new_after:
        raise BuildError(f"new tables after a table the catalog does not have: {sorted(new_after)}")
    seen = [t["code"] for t in found]
    if len(set(seen)) != len(seen):
        raise BuildError(
            f"two tables share a code: {sorted({c for c in seen if seen.count(c) > 1})}"
        )
    # Main set in code order (表3-5-1 before 表3-5-3 once renumbered), then each supplementary
    # set in the evidence's order.
    sets = ["", *evidence.get("supplements", {})]
    return sorted(found, key=lambda t: (sets.index(t["supplement"]), _code_order(t)))


def _code_order(table: dict) -> tuple[int, ...]:
    if table["supplement"]:
        return ()  # a supplementary set keeps the research catalog's order (SF-1 … SF-14)
    return tuple(int(n) for n in re.findall(r"\d+", table["code"]))


CORRECTION_NOTES = {"why", "source"}


def apply_corrections(tables: list[dict], corrections: dict) -> None:
    """Field corrections (keys are the new codes): "codes" replaces a code list, "add_codes"
    extends it, any other key of a field replaces its value; "why" and "source" are kept with
    the field. A table or field the catalog does not have stops the build."""
    by_code = {t["code"]: t for t in tables}
    for code, table_fix in sorted(corrections.get("tables", {}).items()):
        if code not in by_code:
            raise BuildError(f"corrections.json: {code} is not a table of the catalog")
        fields = {f["name"]: f for f in by_code[code]["fields"]}
        for name, fix in table_fix.get("fields", {}).items():
            if name not in fields:
                raise BuildError(f"corrections.json: {code} has no field {name!r}")
            target = fields[name]
            unknown = set(fix) - set(target) - CORRECTION_NOTES - {"add_codes"}
            if unknown:
                raise BuildError(f"corrections.json: {code} {name}: unknown keys {sorted(unknown)}")
            for key, value in fix.items():
                if key == "add_codes":
                    target["codes"] = [
                        *target["codes"],
                        *(v for v in value if v not in target["codes"]),
                    ]
                elif key not in CORRECTION_NOTES:
                    target[key] = value
            target["corrected"] = {
                "keys": sorted(set(fix) - CORRECTION_NOTES),
                **{k: fix[k] for k in sorted(CORRECTION_NOTES) if k in fix},
            }


if __name__ == "__main__":
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE
    OUTPUT.write_text(
        json.dumps(build(source), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"wrote {OUTPUT}")
