"""Build collection/catalog/catalog.json, the project's own copy of the platform's tables,
from the research catalog (../shared/reference/catalog.json).

Run once when the research catalog changes: `python -m scripts.build_catalog [SOURCE]`.
The output keeps what the app needs (tables, fields, code lists, rules as catalog text) and
drops research notes; its "provenance" entry says where the facts come from.
"""

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "reference" / "catalog.json"
OUTPUT = ROOT / "collection" / "catalog" / "catalog.json"
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


def build(source: Path) -> dict:
    data = json.loads(source.read_text(encoding="utf-8"))
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
                "depends_on": table["depends_on"],
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
    return {
        "provenance": (
            "Built by scripts/build_catalog.py from the project's research catalog. Field-level facts "
            "come from the 2018-2019 table set of the national platform as rebuilt by a vendor "
            "(GitHub robbinpeng/educationSystem2: table list, fields, types, lengths, formats, "
            "指标解释, code lists, 307 validation rules), with the 2020+ numbering from university "
            "notices (partly inferred). THE OFFICE MUST CHECK EVERY TABLE AGAINST EACH YEAR'S "
            "OFFICIAL 数据填报指南 / 内涵说明 and refresh specs from the platform's blank templates."
        ),
        "statistics_time_definitions": data["statistics_time_definitions"],
        "code_lists": {name: cl["values"] for name, cl in code_lists.items()},
        "tables": tables,
    }


if __name__ == "__main__":
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE
    OUTPUT.write_text(
        json.dumps(build(source), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"wrote {OUTPUT}")
