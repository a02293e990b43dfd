"""What the sheet scan notes besides the cells' extent: error values, formulas without a
result, hidden rows; the same wherever the XML is cut into pieces."""

import pytest

from collection.excel.cellnotes import XmlNotes

ROWS = (
    b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>#1 f h</t></is></c></row>'
    b'<row r="2" spans="1:4" hidden="1"><c r="A2" t="e"><f>NA()</f><v>#N/A</v></c>'
    b'<c r="B2"><f>1+1</f><v /></c><c r="C2"><f>1+1</f><v>2</v></c>'
    b'<c r="D2" t="str"><f>IF(1,"","")</f><v></v></c></row>'
    b'<row r="3"><c r="AB3" s="1" t="e"><v>#DIV/0!</v></c><c r="C3"><f>A1</f></c>'
    b'<c r="D3" t="e"/><c r="E3"><v>5</v></c></row></sheetData>'
)
EXPECTED = (
    {(2, 1): "#N/A", (3, 28): "#DIV/0!", (3, 4): "#N/A"},
    {(2, 2), (3, 3)},
    {2},
)


def notes_of(*pieces: bytes):
    scan = XmlNotes()
    for piece in pieces:
        scan.feed(piece)
    return scan.notes.errors, scan.notes.uncomputed, scan.notes.hidden_rows


def test_one_piece():
    assert notes_of(ROWS) == EXPECTED


@pytest.mark.parametrize("cut", [i for i, byte in enumerate(ROWS) if byte == ord("<")])
def test_cut_before_any_tag(cut):
    assert notes_of(ROWS[:cut], ROWS[cut:]) == EXPECTED


def test_a_plain_sheet_notes_nothing():
    plain = b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>12</v></c></row>' * 1000
    assert notes_of(plain) == ({}, set(), set())


def test_text_that_only_looks_like_markers_is_not_noted():
    text = b'<row r="1"><c r="A1" t="inlineStr"><is><t>t=&quot;e&quot; #N/A hidden=1 &lt;f&gt;</t></is></c></row>'
    assert notes_of(text) == ({}, set(), set())
