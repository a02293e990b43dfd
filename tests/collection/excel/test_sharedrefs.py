"""Shared-string references calamine would read as another string: refused in every spelling
calamine reads, wherever the sheet XML is cut into pieces; .xls string indexes past the strings
the SST really holds. No database."""

import struct
import time

import pytest
from django.utils import translation

from collection.excel import messages as msg
from collection.excel.ole import count_strings
from collection.excel.reader import read_upload
from collection.excel.sharedrefs import SharedRefScan
from collection.schema import FieldSchema, FieldType, RejectedFile, TableSchema
from tests.collection.excel.files import raw_xlsx, sheet_xml, sst_records, xls
from tests.collection.excel.test_reader import pattern

SCHEMA = TableSchema(
    code="表T-3",
    name="名单（测试）",
    sheet_name="名单",
    fields=(FieldSchema("工号", FieldType.TEXT), FieldSchema("姓名", FieldType.TEXT)),
)
STRINGS = ("工号", "姓名", "T001", "张三")
SST = (
    '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    + "".join(f"<si><t>{text}</t></si>" for text in STRINGS)
    + "</sst>"
).encode()
HEADER = '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
NS = 'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def book(cell: str) -> bytes:
    """A sheet with the header and one data row: A2 is ``cell``, B2 the shared string 张三."""
    data = f'<row r="2">{cell}<c r="B2" t="s"><v>3</v></c></row>'
    return raw_xlsx(sheet_xml(HEADER + data), shared_strings=SST)


# Cells calamine reads as a shared string whose <v> it cannot parse: each read string 0 ("工号").
BAD = {
    "negative": '<c r="A2" t="s"><v>-1</v></c>',
    "leading space": '<c r="A2" t="s"><v> 2</v></c>',
    "decimal": '<c r="A2" t="s"><v>2.0</v></c>',
    "plus sign": '<c r="A2" t="s"><v>+2</v></c>',
    "letters": '<c r="A2" t="s"><v>abc</v></c>',
    "beyond 2^64": '<c r="A2" t="s"><v>18446744073709551618</v></c>',
    "character reference": '<c r="A2" t="s"><v>&#50;</v></c>',
    "single quotes": "<c r='A2' t='s'><v>-1</v></c>",
    "line breaks around =": '<c r="A2" t\n=\n"s"><v>-1</v></c>',
    "attributes glued": '<c r="A2"t="s"><v>-1</v></c>',
    "style after the type": '<c r="A2" t="s" s="1"><v>-1</v></c>',
    "prefixed tags": f'<x:c {NS} r="A2" t="s"><x:v>-1</x:v></x:c>',
    "a second value (calamine takes the last)": '<c r="A2" t="s"><v>2</v><v>-1</v></c>',
    "the last t attribute wins": '<c r="A2" t="n" t="s"><v>-1</v></c>',
    "a formula then the value": '<c r="A2" t="s"><f>B2</f><v>-1</v></c>',
}
GOOD = {
    "an index": ('<c r="A2" t="s"><v>2</v></c>', "T001"),
    "style after the type": ('<c r="A2" t="s" s="1"><v>2</v></c>', "T001"),
    "single quotes": ("<c r='A2' t='s'><v>2</v></c>", "T001"),
    "empty value": ('<c r="A2" t="s"><v></v></c>', ""),
    "no value": ('<c r="A2" t="s"/>', ""),
    "a number cell with -1": ('<c r="A2"><v>-1</v></c>', "-1"),
    "text that looks like the type": (
        '<c r="A2" t="inlineStr"><is><t>t="s"&gt;&lt;v&gt;-1 "s" \'s\'</t></is></c>',
        't="s"><v>-1 "s" \'s\'',
    ),
    "the last t attribute is n": ('<c r="A2" t="s" t="n"><v>-1</v></c>', "-1"),
}


@pytest.mark.parametrize("cell", BAD.values(), ids=BAD.keys())
def test_a_value_that_is_not_an_index_is_refused(cell):
    with translation.override("zh-hans"), pytest.raises(RejectedFile) as refused:
        read_upload(book(cell), "名单.xlsx", SCHEMA)
    with translation.override("zh-hans"):
        assert pattern(msg.SHARED_STRING_INDEX).fullmatch(str(refused.value))
    assert "工作表“Sheet1”" in str(refused.value) and "重新另存为" in str(refused.value)


@pytest.mark.parametrize(("cell", "value"), GOOD.values(), ids=GOOD.keys())
def test_what_calamine_reads_right_is_read(cell, value):
    sheet = read_upload(book(cell), "名单.xlsx", SCHEMA)
    assert sheet.rows == [[value, "张三"]]


def test_an_index_past_the_end_is_refused_with_the_same_message():
    with pytest.raises(RejectedFile) as refused:
        read_upload(book('<c r="A2" t="s"><v>4</v></c>'), "名单.xlsx", SCHEMA)
    assert pattern(msg.SHARED_STRING_INDEX).fullmatch(str(refused.value))


# -- wherever the XML is cut ------------------------------------------------------------------

ROWS = (
    HEADER.encode()
    + b'<row r="2"><c r="A2" t="s" s="1"><v>2</v></c><c r="B2" t="s"><f>X</f><v>3</v></c></row>'
    + b'<row r="3"><c r="A3" t="inlineStr"><is><t>"s" \'s\'</t></is></c><c r="B3" t="s"/></row>'
)
CUTS = [i for i, byte in enumerate(ROWS) if byte == ord("<")]


def scan(*pieces: bytes) -> None:
    refs = SharedRefScan("名单")
    for piece in pieces:
        refs.feed(piece)
    refs.close()


@pytest.mark.parametrize("cut", CUTS)
def test_a_good_sheet_cut_before_any_tag_passes(cut):
    scan(ROWS[:cut], ROWS[cut:])


BAD_ROWS = ROWS + b'<row r="4"><c r="A4" t="s"><f>X</f><v>-1</v></c></row>'


@pytest.mark.parametrize("cut", [i for i, byte in enumerate(BAD_ROWS) if byte == ord("<")])
def test_a_bad_cell_cut_before_any_tag_is_refused(cut):
    with pytest.raises(RejectedFile):
        scan(BAD_ROWS[:cut], BAD_ROWS[cut:])


def test_a_bad_cell_at_the_end_of_the_sheet_is_refused():
    with pytest.raises(RejectedFile):
        scan(ROWS + b'<row r="4"><c r="A4" t="s"><v>-1')


def test_a_shared_string_cell_that_never_ends_is_refused_not_carried_forever():
    refs = SharedRefScan("名单")
    with pytest.raises(RejectedFile) as refused:
        refs.feed(b'<row r="2"><c r="A2" t="s">')
        for _ in range(10):
            refs.feed(b"<x>" + b" " * 256 * 1024)
    assert pattern(msg.IRREGULAR).fullmatch(str(refused.value))


# -- .xls -------------------------------------------------------------------------------------


def test_strings_split_across_continue_records_are_all_counted():
    strings = [f"张三{i}" * (i % 50) for i in range(3000)] + ["x" * 20000]
    bodies = sst_records(strings)
    assert len(bodies) > 10  # an SST record and its CONTINUE records
    assert count_strings(bodies) == len(strings)


def test_a_big_xls_reads_every_string():
    rows = [[f"T{i:05d}", "欧阳" + "修" * (i % 40)] for i in range(3000)]
    sheet = read_upload(xls([("名单", [["工号", "姓名"], *rows])]), "名单.xls", SCHEMA)
    assert sheet.rows == rows


def test_an_sst_holding_fewer_strings_than_it_declares():
    """calamine reads the strings there are; a cell pointing into the gap read as empty."""
    content = bytearray(xls([("名单", [["工号", "姓名"], ["T001", "张三"]])]))
    at = content.find(struct.pack("<H", 0x00FC))
    struct.pack_into("<II", content, at + 4, 9, 9)  # it holds 4
    sheet = read_upload(bytes(content), "名单.xls", SCHEMA)  # the cells point below 4: fine
    assert sheet.rows == [["T001", "张三"]]
    label = struct.pack("<HH", 0x00FD, 10) + struct.pack("<HHH", 1, 0, 15)
    cell = content.find(label)
    struct.pack_into("<I", content, cell + 10, 6)  # A2: string 6, below 9 but beyond 4
    with pytest.raises(RejectedFile) as refused:
        read_upload(bytes(content), "名单.xls", SCHEMA)
    assert pattern(msg.SHARED_STRING_INDEX).fullmatch(str(refused.value))


def test_a_sheet_that_asks_for_a_close_look_at_every_cell_is_refused_in_time():
    formula_cells = b'<c r="A2" t="s"><f>B2</f><v>1</v></c>' * 1000
    refs = SharedRefScan("名单")
    start = time.perf_counter()
    with pytest.raises(RejectedFile) as refused:
        for _ in range(300):
            refs.feed(b'<row r="2">' + formula_cells + b"</row>")
    assert time.perf_counter() - start < 5
    assert pattern(msg.IRREGULAR).fullmatch(str(refused.value))
