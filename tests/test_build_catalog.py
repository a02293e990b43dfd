"""scripts/build_catalog.py: the shipped catalog at the 2024 evidence, field corrections, and a
build that fails loudly on a decision or correction that fits nothing."""

import copy
import json

import pytest

from collection.schema import CATALOG_FILE
from scripts.build_catalog import (
    EVIDENCE,
    BuildError,
    apply_corrections,
    at_evidence,
    build,
    sheet_name,
)

CATALOG = json.loads(CATALOG_FILE.read_text(encoding="utf-8"))
DECISIONS = json.loads(EVIDENCE.read_text(encoding="utf-8"))


def test_the_shipped_catalog_follows_every_decision_of_the_evidence():
    by_previous = {t["previous_code"]: t for t in CATALOG["tables"] if t["previous_code"]}
    for old, decision in DECISIONS["tables"].items():
        if decision["status"] == "dropped":
            assert old not in by_previous, old
            continue
        table = by_previous[old]
        assert table["code"] == decision.get("code", old)
        assert table["confidence"] == decision["confidence"]
        assert table["fields_status"] == decision.get("fields", "2019")
        assert table["supplement"] == decision.get("supplement", "")
        if "name" in decision:
            assert table["name"] == decision["name"]
    codes = [t["code"] for t in CATALOG["tables"]]
    for new in DECISIONS["new"]:
        table = CATALOG["tables"][codes.index(new["code"])]
        assert (table["fields"], table["fields_status"], table["previous_code"]) == (
            [],
            "unknown",
            "",
        )
        assert codes.index(new["after"]) < codes.index(new["code"])
    assert len(codes) == len(set(codes)) == 93
    for table in CATALOG["tables"]:
        assert "depends_on" not in table  # prerequisites follow from the rules
        assert table["sheet_name"] == sheet_name(table["code"], table["name"])
        assert table["source"]
    assert "2024 evidence" in CATALOG["provenance"]
    assert CATALOG["tables"][codes.index("表2-5")]["name"] == "固定资产"


def tables_2020():
    """Three tables of the research catalog as the build reads them (2020 numbering)."""

    def table(code, name, fields):
        return {
            "code": code,
            "code_2019": code,
            "name": name,
            "sheet_name": sheet_name(code, name),
            "category": "2 基本条件",
            "time_type": "时点",
            "row_mode": "list",
            "is_base_table": False,
            "may_be_empty": False,
            "responsible_hint": "",
            "fields": [
                {
                    "name": n,
                    "type": "code",
                    "required": True,
                    "max_len": None,
                    "format": None,
                    "codes": ["甲", "乙"],
                    "code_list": "L",
                    "help": "",
                    "multi": False,
                }
                for n in fields
            ],
            "catalog_rules": [],
        }

    return [
        table("表2-5", "校园网", ["类别"]),
        table("表2-6", "固定资产", ["类别", "级别"]),
        table("表2-7", "本科实验设备情况", ["类别"]),
    ]


EVIDENCE_SMALL = {
    "sources": {"S2024": "…"},
    "supplements": {"medical": {}},
    "tables": {
        "表2-5": {"status": "dropped", "why": "gone"},
        "表2-6": {
            "status": "renumbered",
            "code": "表2-5",
            "confidence": "high",
            "sources": ["S2024"],
        },
        "表2-7": {
            "status": "renumbered",
            "code": "表2-6",
            "name": "设备",
            "fields": "provisional",
            "confidence": "low",
            "sources": [],
            "note": "a guess",
        },
    },
    "new": [
        {
            "code": "表2-6-1",
            "name": "新表",
            "category": "2 基本条件",
            "time_type": "时点",
            "row_mode": "list",
            "fields": "unknown",
            "confidence": "high",
            "sources": ["S2024"],
            "after": "表2-6",
        }
    ],
}


def test_renumbering_is_one_pass_and_new_tables_come_after_theirs():
    tables = at_evidence(tables_2020(), EVIDENCE_SMALL)
    assert [(t["code"], t["previous_code"], t["name"]) for t in tables] == [
        ("表2-5", "表2-6", "固定资产"),
        ("表2-6", "表2-7", "设备"),
        ("表2-6-1", "", "新表"),
    ]
    # The text the (Chinese) table pages show; the evidence's English notes stay in the README.
    assert tables[0]["source"] == (
        "2024 年学校端采集系统引用（GitHub Kariya-Eric/DataCollection）；字段沿用 2019 年表集"
    )
    assert tables[1]["source"] == (
        "2019 年后未见引用；字段沿用 2019 年的前身表，待以本年度模板确认（字段待确认）"
    )
    assert tables[1]["sheet_name"] == "2-6设备" and tables[2]["fields"] == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda e: e["tables"].pop("表2-7"), "no decision for"),
        (lambda e: e["tables"].update({"表9-9": {"status": "kept"}}), "no table for"),
        (lambda e: e["new"][0].update(code="表2-5"), "share a code"),
        (lambda e: e["new"][0].update(after="表9-9"), "after a table"),
        (lambda e: e["tables"]["表2-6"].update(confidence="sure"), "confidence"),
        (lambda e: e["tables"]["表2-6"].update(sources=["S1999"]), "unknown source"),
    ],
)
def test_an_evidence_that_fits_nothing_stops_the_build(change, problem):
    evidence = copy.deepcopy(EVIDENCE_SMALL)
    change(evidence)
    with pytest.raises(BuildError, match=problem):
        at_evidence(tables_2020(), evidence)


def test_corrections_replace_extend_and_are_kept_with_the_field():
    tables = at_evidence(tables_2020(), EVIDENCE_SMALL)
    apply_corrections(
        tables,
        {
            "tables": {
                "表2-5": {
                    "fields": {
                        "类别": {"add_codes": ["乙", "丙"], "why": "real data", "source": "export"},
                        "级别": {"codes": ["高"], "required": False, "max_len": 10},
                    }
                }
            }
        },
    )
    fields = {f["name"]: f for f in tables[0]["fields"]}
    assert fields["类别"]["codes"] == ["甲", "乙", "丙"]
    assert fields["类别"]["corrected"] == {
        "keys": ["add_codes"],
        "source": "export",
        "why": "real data",
    }
    assert (fields["级别"]["codes"], fields["级别"]["required"], fields["级别"]["max_len"]) == (
        ["高"],
        False,
        10,
    )
    assert tables[1]["fields"][0]["codes"] == ["甲", "乙"]  # another table's field: untouched


@pytest.mark.parametrize(
    ("corrections", "problem"),
    [
        ({"表2-7": {"fields": {"类别": {"required": False}}}}, "表2-7 is not a table"),
        ({"表2-5": {"fields": {"名称": {"required": False}}}}, "has no field '名称'"),
        ({"表2-5": {"fields": {"类别": {"requried": False}}}}, "unknown keys"),
        ({"表2-6-1": {"fields": {"类别": {"required": False}}}}, "has no field"),
    ],
)
def test_a_correction_that_fits_nothing_stops_the_build(corrections, problem):
    with pytest.raises(BuildError, match=problem):
        apply_corrections(at_evidence(tables_2020(), EVIDENCE_SMALL), {"tables": corrections})


def test_the_build_gives_the_same_file_twice(tmp_path):
    source = tmp_path / "catalog.json"
    raw = [
        {
            **{k: t[k] for k in ("code", "code_2019", "name", "category", "time_type", "row_mode")},
            "is_base_table": False,
            "responsible_hint": "",
            "depends_on": ["表1-6"],
            "fields": [{"name": "类别", "type": "code", "code_list": "L", "required": True}],
            "validation_rules": [{"type": "字段", "rule": " 类别必填 ", "message": "请填写"}],
        }
        for t in tables_2020()
    ]
    source.write_text(
        json.dumps(
            {
                "code_lists": {"L": {"values": ["甲"]}},
                "statistics_time_definitions": {},
                "tables": raw,
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    evidence = tmp_path / "evidence.json"
    evidence.write_text(json.dumps(EVIDENCE_SMALL, ensure_ascii=False), encoding="utf-8")
    corrections = tmp_path / "corrections.json"
    corrections.write_text(
        json.dumps({"tables": {"表2-5": {"fields": {"类别": {"add_codes": ["乙"]}}}}}),
        encoding="utf-8",
    )
    first = json.dumps(build(source, evidence, corrections), ensure_ascii=False, indent=1)
    second = json.dumps(build(source, evidence, corrections), ensure_ascii=False, indent=1)
    assert first == second
    built = json.loads(first)
    assert [t["code"] for t in built["tables"]] == ["表2-5", "表2-6", "表2-6-1"]
    assert built["tables"][0]["fields"][0]["codes"] == ["甲", "乙"]
    assert "depends_on" not in built["tables"][0]
    # Without a corrections file the build runs as well.
    assert build(source, evidence, tmp_path / "none.json")["tables"][0]["fields"][0]["codes"] == [
        "甲"
    ]
