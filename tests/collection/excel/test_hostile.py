"""Hostile and broken uploads: each file is generated here, and must be refused with a message
that says what is wrong and what to do, within seconds and in bounded memory.

Cases that would make calamine allocate rows × columns cells (and abort the whole process)
are checked with ``check_upload`` alone, so that a regression fails this test instead of
killing the test run.
"""

import io
import random
import struct
import time
import tracemalloc
import warnings
import zipfile

import pytest

from collection.excel import messages as msg
from collection.excel.reader import read_upload
from collection.excel.safety import Limits, check_upload
from collection.schema import RejectedFile, catalog_schemas
from tests.collection.excel.files import (
    MACRO_MAIN,
    compound_file,
    inline_rows,
    raw_xlsx,
    sheet_xml,
    xls,
    xlsx,
)
from tests.collection.excel.test_reader import HEADERS, ROW_A, pattern

STUDENTS = catalog_schemas()["表1-6"]
MB = 1024 * 1024


def refuse(content, filename, msgid, *, read=True, seconds=3.0, megabytes=64, limits=None):
    """Assert the upload is refused with ``msgid``, in time and memory (Python allocations;
    ``megabytes=None`` skips tracing, which slows down reading a big sheet several times)."""
    if megabytes is not None:
        tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(RejectedFile) as refused:
            if read:
                read_upload(content, filename, STUDENTS, limits=limits)
            else:
                check_upload(content, filename, limits or Limits())
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(refused.value)
    assert pattern(msgid).fullmatch(message), message
    assert elapsed < seconds, elapsed
    if megabytes is not None:
        assert peak < megabytes * MB, peak / MB
    return message


def patch_member(content, name, *, size=None, flags=None):
    """Rewrite what the zip's headers declare about one member."""
    data = bytearray(content)
    pos = 0
    while (pos := data.find(b"PK\x01\x02", pos)) >= 0:
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, pos + 28)
        if bytes(data[pos + 46 : pos + 46 + name_len]).decode() == name:
            (local,) = struct.unpack_from("<I", data, pos + 42)
            if size is not None:
                struct.pack_into("<I", data, pos + 24, size)
                struct.pack_into("<I", data, local + 22, size)
            if flags is not None:
                struct.pack_into("<H", data, pos + 8, flags)
                struct.pack_into("<H", data, local + 6, flags)
        pos += 46 + name_len + extra_len + comment_len
    return bytes(data)


def good_sheet():
    return sheet_xml(inline_rows([HEADERS, ROW_A]))


# -- not a workbook at all --------------------------------------------------------------------


def test_empty_file():
    refuse(b"", "1-6.xlsx", msg.EMPTY)


def test_too_big():
    refuse(b"PK\x03\x04" + bytes(2 * MB), "1-6.xlsx", msg.TOO_BIG, limits=Limits(max_bytes=MB))


def test_plain_text_named_xlsx():
    refuse("学号,姓名\n2023001,张三\n".encode(), "1-6.xlsx", msg.NOT_WORKBOOK)


@pytest.mark.parametrize("filename", ["1-6.xlsx", "1-6.xls"])
def test_html_page_renamed(filename):
    page = '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><table><tr><td>学号</td></tr></table></body></html>'
    refuse(page.encode(), filename, msg.HTML)


def test_xml_spreadsheet_2003():
    page = (
        '<?xml version="1.0"?><?mso-application progid="Excel.Sheet"?>'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>'
    )
    refuse(page.encode(), "1-6.xls", msg.XML_SPREADSHEET)


def test_word_document_renamed():
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    refuse(output.getvalue(), "1-6.xlsx", msg.OTHER_OFFICE)


def test_other_zip():
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("readme.txt", "hello")
    refuse(output.getvalue(), "1-6.xlsx", msg.NOT_WORKBOOK)


def test_binary_csv():
    noise = random.Random(7).randbytes(4096)
    refuse(noise, "1-6.csv", msg.CSV_BINARY)


def test_binary_named_xlsx():
    refuse(b"\x7fELF" + random.Random(7).randbytes(4096), "1-6.xlsx", msg.NOT_WORKBOOK)


# -- damaged ----------------------------------------------------------------------------------


def test_truncated_zip():
    content = xlsx([HEADERS, ROW_A])
    refuse(content[: len(content) // 2], "1-6.xlsx", msg.CORRUPT)


def test_corrupt_member_data():
    content = bytearray(raw_xlsx(sheet_xml(inline_rows([HEADERS] + [ROW_A] * 200))))
    info = zipfile.ZipFile(io.BytesIO(bytes(content))).getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename)
    for i in range(start + 20, start + 60):
        content[i] ^= 0x5A
    refuse(bytes(content), "1-6.xlsx", msg.CORRUPT)


def test_member_inflating_beyond_its_declared_size():
    big = sheet_xml(inline_rows([HEADERS] + [ROW_A] * 20_000))
    content = patch_member(raw_xlsx(big), "xl/worksheets/sheet1.xml", size=1000)
    refuse(content, "1-6.xlsx", msg.CORRUPT)


@pytest.mark.parametrize(
    ("sheet", "msgid"),
    [
        (
            b'<?xml version="1.0"?><worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is>',
            msg.UNREADABLE,
        ),
        # A shared string in a workbook without shared strings: calamine fails, and the message
        # says what is damaged.
        (sheet_xml('<row r="1"><c r="A1" t="s"><v>5</v></c></row>'), msg.SHARED_STRING_INDEX),
        (
            sheet_xml('<row r="1"><c r="A1B" t="inlineStr"><is><t>x</t></is></c></row>'),
            msg.UNREADABLE,
        ),
    ],
)
def test_sheet_calamine_cannot_read(sheet, msgid):
    refuse(raw_xlsx(sheet), "1-6.xlsx", msgid)


def test_truncated_xls():
    content = xls([("S", [HEADERS, ROW_A])])
    refuse(content[:1500], "1-6.xls", msg.CORRUPT)


def test_ole2_signature_then_noise():
    content = bytes.fromhex("D0CF11E0A1B11AE1") + random.Random(3).randbytes(8192)
    refuse(content, "1-6.xls", msg.CORRUPT)


def test_duplicate_member_names():
    output = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(output, "w") as archive:
        warnings.simplefilter("ignore")
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", good_sheet())
        archive.writestr("xl/worksheets/sheet1.xml", good_sheet())
    refuse(output.getvalue(), "1-6.xlsx", msg.CORRUPT)


def test_too_many_zip_entries():
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        for i in range(10_001):
            archive.writestr(f"xl/media/{i}.png", b"")
    refuse(output.getvalue(), "1-6.xlsx", msg.CORRUPT)


# -- protected or active content --------------------------------------------------------------


def test_encrypted_xlsx():
    """Excel saves a password-protected .xlsx as an OLE2 file with these two streams."""
    content = compound_file({"EncryptionInfo": b"\x04\x00\x04\x00", "EncryptedPackage": bytes(64)})
    refuse(content, "1-6.xlsx", msg.ENCRYPTED)


def test_encrypted_xls():
    refuse(xls([("S", [HEADERS, ROW_A])], filepass=True), "1-6.xls", msg.ENCRYPTED)


def test_zip_with_encrypted_members():
    content = raw_xlsx(good_sheet())
    refuse(patch_member(content, "xl/worksheets/sheet1.xml", flags=1), "1-6.xlsx", msg.ENCRYPTED)


def test_macro_workbook_content_type():
    refuse(raw_xlsx(good_sheet(), main=MACRO_MAIN), "1-6.xlsm", msg.MACRO)


def test_macro_workbook_vba_project():
    content = raw_xlsx(good_sheet(), extra={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0"})
    refuse(content, "1-6.xlsx", msg.MACRO)


def test_excel4_macro_sheet_in_xlsx():
    content = raw_xlsx(good_sheet(), extra={"xl/macrosheets/sheet1.xml": b"<xm:macrosheet/>"})
    refuse(content, "1-6.xlsx", msg.MACRO)


def test_xls_with_vba():
    workbook = compound_file({"Workbook": bytes(4096), "_VBA_PROJECT_CUR": bytes(16)})
    refuse(workbook, "1-6.xls", msg.MACRO)


def test_xls_with_excel4_macro_sheet():
    refuse(xls([("S", [HEADERS, ROW_A])], macro_sheet=True), "1-6.xls", msg.MACRO)


def test_word_file_in_ole2():
    refuse(compound_file({"WordDocument": bytes(16)}), "1-6.xls", msg.NOT_WORKBOOK)


# -- bombs ------------------------------------------------------------------------------------


def test_member_declaring_a_huge_size():
    content = patch_member(raw_xlsx(good_sheet()), "xl/worksheets/sheet1.xml", size=3_500_000_000)
    refuse(content, "1-6.xlsx", msg.TOO_BIG_UNCOMPRESSED, seconds=0.5)


def test_zip_bomb_of_zeros():
    """1.5 GB of zeros streamed into the archive (about 7 MB compressed): refused from the size
    the zip directory declares, without inflating anything."""
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            zeros = bytes(16 * MB)
            for _ in range(96):
                member.write(zeros)
    content = output.getvalue()
    assert len(content) < 20 * MB
    refuse(content, "1-6.xlsx", msg.TOO_BIG_UNCOMPRESSED, seconds=0.5)


def test_highly_compressible_member():
    """Within the size caps but compressed a thousand times: no real workbook does that."""
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/media/image1.png", bytes(100 * MB))
    refuse(output.getvalue(), "1-6.xlsx", msg.ZIP_BOMB, seconds=0.5)


def test_total_uncompressed_size():
    limits = Limits(max_uncompressed=MB)
    content = raw_xlsx(good_sheet(), extra={f"xl/media/{i}.png": bytes(300_000) for i in range(4)})
    refuse(content, "1-6.xlsx", msg.TOO_BIG_UNCOMPRESSED, limits=limits)


def test_huge_shared_string_declared():
    strings = b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>a</t></si></sst>'
    content = patch_member(
        raw_xlsx(good_sheet(), shared_strings=strings), "xl/sharedStrings.xml", size=600 * MB
    )
    refuse(content, "1-6.xlsx", msg.SHARED_STRINGS_TOO_BIG, seconds=0.5)


def test_huge_shared_string_streamed():
    """A real 600 MB shared string (0.6 MB compressed), refused from the zip directory."""
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        source = zipfile.ZipFile(io.BytesIO(raw_xlsx(good_sheet())))
        for info in source.infolist():
            archive.writestr(info.filename, source.read(info))
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as member:
            member.write(
                b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'
            )
            block = b"a" * (8 * MB)
            for _ in range(75):
                member.write(block)
            member.write(b"</t></si></sst>")
    refuse(output.getvalue(), "1-6.xlsx", msg.SHARED_STRINGS_TOO_BIG, seconds=0.5)


LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)


def test_billion_laughs_in_shared_strings():
    strings = (
        LAUGHS + '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<si><t>&lol9;</t></si></sst>"
    ).encode()
    refuse(raw_xlsx(good_sheet(), shared_strings=strings), "1-6.xlsx", msg.XML_ENTITY)


def test_billion_laughs_in_sheet():
    sheet = (LAUGHS + good_sheet().decode().split("?>", 1)[1]).encode()
    refuse(raw_xlsx(sheet), "1-6.xlsx", msg.XML_ENTITY)


def test_external_entity():
    prolog = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    sheet = sheet_xml(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row>', prolog=prolog
    )
    refuse(raw_xlsx(sheet), "1-6.xlsx", msg.XML_ENTITY)


def test_entity_in_content_types():
    content = bytearray(raw_xlsx(good_sheet()))
    output = io.BytesIO()
    source = zipfile.ZipFile(io.BytesIO(bytes(content)))
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(
                    b"?>", b'?><!DOCTYPE t [<!ENTITY e SYSTEM "http://example.com/">]>', 1
                )
            archive.writestr(info.filename, data)
    refuse(output.getvalue(), "1-6.xlsx", msg.XML_ENTITY)


def test_utf16_part():
    sheet = good_sheet().decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    refuse(raw_xlsx(sheet), "1-6.xlsx", msg.XML_ENCODING)


# -- too large a sheet ------------------------------------------------------------------------


def test_declared_million_rows():
    sheet = sheet_xml(inline_rows([HEADERS, ROW_A]), dimension="A1:H1000001")
    message = refuse(raw_xlsx(sheet), "1-6.xlsx", msg.TOO_MANY_ROWS)
    assert "1,000,001" in message and "200,000" in message


def test_declared_whole_sheet():
    sheet = sheet_xml(inline_rows([HEADERS, ROW_A]), dimension="A1:XFD1048576")
    refuse(raw_xlsx(sheet), "1-6.xlsx", msg.TOO_MANY_ROWS)


def test_200001_real_rows():
    """Streamed into the archive; read by calamine, refused when the data rows pass the cap."""
    output = io.BytesIO()
    source = zipfile.ZipFile(io.BytesIO(raw_xlsx(good_sheet())))
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for info in source.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                archive.writestr(info.filename, source.read(info))
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            member.write(sheet_xml(inline_rows([HEADERS])).split(b"</sheetData>")[0])
            for start in range(2, 200_003, 10_000):
                member.write(
                    "".join(
                        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{r}</t></is></c></row>'
                        for r in range(start, min(start + 10_000, 200_003))
                    ).encode()
                )
            member.write(b"</sheetData></worksheet>")
    message = refuse(
        output.getvalue(), "1-6.xlsx", msg.TOO_MANY_DATA_ROWS, seconds=5, megabytes=None
    )
    assert "200,000" in message


@pytest.mark.parametrize(
    ("cell", "msgid"),
    [
        ("XFE1", msg.BEYOND_EXCEL),  # column 16,385
        ("A1048577", msg.BEYOND_EXCEL),
        ("XFD1048576", msg.TOO_MANY_ROWS),  # A1 to here: calamine would allocate 17 billion cells
        ("A250000", msg.TOO_MANY_ROWS),
        ("HA2", msg.TOO_MANY_COLUMNS),  # column 209
        ("ZZ60000", msg.TOO_MANY_COLUMNS),
    ],
)
def test_far_cells(cell, msgid):
    body = (
        inline_rows([HEADERS, ROW_A])
        + f'<row r="3"><c r="{cell}" t="inlineStr"><is><t>x</t></is></c></row>'
    )
    refuse(raw_xlsx(sheet_xml(body)), "1-6.xlsx", msgid, read=False)


def test_many_columns_within_the_caps_but_too_many_cells():
    body = inline_rows([HEADERS, ROW_A]) + (
        '<row r="3"><c r="GR3" t="inlineStr"><is><t>x</t></is></c></row>'
        '<row r="90000"><c r="A90000" t="inlineStr"><is><t>x</t></is></c></row>'
    )
    refuse(raw_xlsx(sheet_xml(body)), "1-6.xlsx", msg.TOO_MANY_CELLS, read=False)


FAR = "ZZ99999"  # 702 columns × 99,999 rows: 70 million cells for calamine


@pytest.mark.parametrize(
    "far_cell",
    [
        f'<x:c r="{FAR}" t="inlineStr"><x:is><x:t>x</x:t></x:is></x:c>',  # prefixed tag
        f'<c s="0" r="{FAR}" t="inlineStr"><is><t>x</t></is></c>',  # attribute order
        f"<c r='{FAR}' t='inlineStr'><is><t>x</t></is></c>",  # single quotes
        f'<c r = "{FAR}" t="inlineStr"><is><t>x</t></is></c>',  # spaces around "="
        f'<c\nr="{FAR}" t="inlineStr"><is><t>x</t></is></c>',  # a newline between attributes
        f'<c r="A2" r="{FAR}" t="inlineStr"><is><t>x</t></is></c>',  # a second reference
        f'<c r="A2"r="{FAR}" t="inlineStr"><is><t>x</t></is></c>',  # … glued to the first
        f'<c r="A2" t="inlineStr"  r="{FAR}"><is><t>x</t></is></c>',
        f'<c r="{FAR.lower()}" t="inlineStr"><is><t>x</t></is></c>',  # lower case
        f'<c r="ZZ0{FAR[2:]}" t="inlineStr"><is><t>x</t></is></c>',  # a leading zero
    ],
)
def test_far_cell_in_unusual_xml(far_cell):
    """calamine accepts all these spellings of a cell; each must be located all the same."""
    body = inline_rows([HEADERS, ROW_A]) + f'<row r="3">{far_cell}</row>'
    refuse(raw_xlsx(sheet_xml(body)), "1-6.xlsx", msg.TOO_MANY_COLUMNS, read=False)


def test_cells_without_reference_far_away():
    """Cells without a reference follow the previous one: 300 of them reach column 300."""
    cells = '<c t="inlineStr"><is><t>x</t></is></c>' * 300
    body = inline_rows([HEADERS, ROW_A]) + f'<row r="150000">{cells}</row>'
    refuse(raw_xlsx(sheet_xml(body)), "1-6.xlsx", msg.TOO_MANY_COLUMNS, read=False)


def test_xls_far_cells():
    content = xls([("S", [HEADERS, ROW_A])], cells=[(65535, 255)])
    refuse(content, "1-6.xls", msg.TOO_MANY_COLUMNS, read=False)


def test_csv_too_many_columns():
    content = (",".join(["x"] * 300) + "\n").encode()
    refuse(content, "1-6.csv", msg.TOO_MANY_COLUMNS)


def test_csv_too_many_rows():
    content = ("学号\n" + "1\n" * 30).encode()
    refuse(content, "1-6.csv", msg.TOO_MANY_DATA_ROWS, limits=Limits(max_rows=10))


# -- what must still be accepted --------------------------------------------------------------


def test_prefixed_xml_from_other_writers_is_read():
    """The .NET Open XML SDK writes prefixed tags; the tolerant path reads them."""
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rows = "".join(
        f'<x:row r="{r}">'
        + "".join(
            f'<x:c r="{"ABCDEFGH"[c]}{r}" t="inlineStr"><x:is><x:t>{v}</x:t></x:is></x:c>'
            for c, v in enumerate(values)
        )
        + "</x:row>"
        for r, values in enumerate([HEADERS, ROW_A], start=1)
    )
    sheet = f'<?xml version="1.0"?><x:worksheet xmlns:x="{ns}"><x:sheetData>{rows}</x:sheetData></x:worksheet>'
    assert read_upload(raw_xlsx(sheet.encode()), "1-6.xlsx", STUDENTS).rows == [ROW_A]


def test_a_stray_note_far_right_is_fine():
    book = xlsx([[*HEADERS, *[None] * 40, "备注"], ROW_A])
    sheet = read_upload(book, "1-6.xlsx", STUDENTS)
    assert sheet.rows == [ROW_A]
    assert [f.column_letter for f in sheet.findings] == ["AW"]
