"""consistent_rows: sample rows made to agree with the other tables (no database)."""

from collection.models import Cycle
from collection.sampledata import sample_rows
from collection.sampledata.cycle import consistent_rows
from collection.schema import catalog_schemas
from collection.validation.crosstable import TableData, crosscheck

SCHEMAS = catalog_schemas()
DATES = Cycle(year=2026, **Cycle.default_dates(2026)).dates()


def rows_of(code, count=4):
    return sample_rows(SCHEMAS[code], DATES, count, seed=3)


def findings(code, rows, others):
    data = {c: TableData.from_rows(SCHEMAS[c], h, r) for c, (h, r) in others.items()}
    schema = SCHEMAS[code]
    return crosscheck(schema, TableData.from_rows(schema, schema.headers, rows), data).findings


def test_leaders_take_teachers_from_the_staff_table():
    staff = ("表1-5-1", (SCHEMAS["表1-5-1"].headers, rows_of("表1-5-1")))
    others = dict([staff, ("表1-5-3", (SCHEMAS["表1-5-3"].headers, []))])
    leaders = rows_of("表3-1", 3)
    assert findings("表3-1", leaders, others)  # generated on their own: unknown teachers
    assert (
        findings("表3-1", consistent_rows(SCHEMAS["表3-1"], leaders, others, DATES), others) == []
    )


def test_exclusive_rosters_are_renumbered_and_sums_stay_below_the_other_tables_figure():
    staff = {"表1-5-1": (SCHEMAS["表1-5-1"].headers, rows_of("表1-5-1"))}
    hired = [list(row) for row in rows_of("表1-5-3")]
    hired[0][0] = staff["表1-5-1"][1][0][0]  # the same 工号 as a staff member
    fixed = consistent_rows(SCHEMAS["表1-5-3"], hired, staff, DATES)
    assert not [
        f
        for f in findings("表1-5-3", fixed, staff)
        if f.rule.startswith("表1-5-3#") and "1-5-1" in str(f.other_tables)
    ]
    land = {"表2-1": (["总建筑面积"], [["1000"]])}
    buildings = consistent_rows(SCHEMAS["表2-2"], rows_of("表2-2", 1), land, DATES)
    assert findings("表2-2", buildings, land) == []
