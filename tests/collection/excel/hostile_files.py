"""Generated hostile and tricky uploads for the corpus in test_hostile_corpus.py: one builder
per file, each returning the bytes an upload would carry, and the small table they are read
against (one field of every kind the reader treats differently)."""

from __future__ import annotations

import io
import random
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape

import openpyxl

from collection.schema import FieldSchema, FieldType, TableSchema
from tests.collection.excel.files import MACRO_MAIN, compound_file, raw_xlsx, sheet_xml, xls, xlsx
from tests.collection.excel.test_hostile import LAUGHS, patch_member

T = FieldType
PROFILE = TableSchema(
    code="表T-1",
    name="学生档案（测试）",
    sheet_name="学生档案",
    key_fields=("学号",),
    fields=(
        FieldSchema("学号", T.TEXT, required=True, max_len=20),  # an identifier: full NFKC
        FieldSchema("姓名", T.TEXT, required=True, max_len=10),  # free text: light cleaning
        FieldSchema("性别", T.CODE, required=True, codes=("男", "女")),
        FieldSchema("出生日期", T.DATE, format="YYYY-MM-DD"),
        FieldSchema("入学年月", T.DATE, format="YYYY-MM"),
        FieldSchema("是否党员", T.BOOL),
        FieldSchema("学分", T.DECIMAL),
        FieldSchema("人数", T.INT),
        FieldSchema("备注", T.TEXT, max_len=200),
    ),
)
HEADERS = PROFILE.headers
ZHANG = {"学号": "2023000001", "姓名": "张三", "性别": "男"}
LI = {"学号": "2023000002", "姓名": "李四", "性别": "女"}


def row(**values: object) -> list[object]:
    """A PROFILE row as written into a file: row(学号="1", 姓名="张三") …"""
    return [values.get(name) for name in HEADERS]


def out(**values: str) -> list[str]:
    """A PROFILE row as the reader must give it back (every field normalised text)."""
    return [values.get(name, "") for name in HEADERS]


class Bad(str):
    """A value given back as typed (cleaned), which validation then reports."""


GOOD = [HEADERS, row(**ZHANG)]


# ---------------------------------------------------------------------------------------------
# Writers


@dataclass(frozen=True)
class Xml:
    """A cell written as it is: extra attributes of <c> and its content."""

    attrs: str
    body: str


def sheet_body(rows: list[list[object]]) -> str:
    """Sheet XML rows from A1: text as inline strings (escaped), numbers as numbers."""
    parts = []
    for r, values in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(values, start=1):
            ref = f"{_letter(c)}{r}"
            if isinstance(value, Xml):
                cells.append(f'<c r="{ref}"{value.attrs}>{value.body}</c>')
            elif isinstance(value, (int, float)):
                cells.append(f'<c r="{ref}"><v>{value!r}</v></c>')
            elif value is not None:
                text = f'<t xml:space="preserve">{escape(str(value))}</t>'
                cells.append(f'<c r="{ref}" t="inlineStr"><is>{text}</is></c>')
        parts.append(f'<row r="{r}">{"".join(cells)}</row>')
    return "".join(parts)


def raw_book(rows: list[list[object]], **kwargs: Any) -> bytes:
    return raw_xlsx(sheet_xml(sheet_body(rows)), **kwargs)


def _letter(n: int) -> str:
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def openpyxl_book(build: Callable[[openpyxl.Workbook], None]) -> bytes:
    book = openpyxl.Workbook()
    build(book)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def csv_text(rows: list[list[object]]) -> str:
    return "".join(",".join("" if v is None else str(v) for v in r) + "\r\n" for r in rows)


def zip_of(members: dict[str, bytes]) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return output.getvalue()


def biff(kind: int, body: bytes) -> bytes:
    """One BIFF8 record, for xls(extra_records=…)."""
    return struct.pack("<HH", kind, len(body)) + body


# ---------------------------------------------------------------------------------------------
# Refused


def empty() -> bytes:
    return b""


def not_a_workbook() -> bytes:
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n" + bytes(512)


def html_export() -> bytes:
    """What old systems export as "学生名单.xls": an HTML table in GBK."""
    page = (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:x="urn:schemas-microsoft-com:office:excel">'
        '<head><meta http-equiv="Content-Type" content="text/html; charset=gbk"></head>'
        "<body><table><tr><td>学号</td><td>姓名</td></tr>"
        "<tr><td>2023000001</td><td>张三</td></tr></table></body></html>"
    )
    return page.encode("gbk")


def html_utf16() -> bytes:
    return "<html><body><table><tr><td>学号</td></tr></table></body></html>".encode("utf-16")


def html_after_comment() -> bytes:
    return b"<!-- exported by the student system -->" + b"\r\n" * 2000 + b"<table><tr><td>1</td>"


def web_archive() -> bytes:
    """Excel's own "single file web page" (.mht), saved with an .xls name."""
    return (
        b"MIME-Version: 1.0\r\nX-Document-Type: Workbook\r\n"
        b'Content-Type: multipart/related; boundary="----=_NextPart_01DA"\r\n\r\n'
        b"------=_NextPart_01DA\r\nContent-Location: file:///C:/sheet.htm\r\n"
        b'Content-Type: text/html; charset="gb2312"\r\n\r\n<html></html>\r\n'
    )


def xml_spreadsheet() -> bytes:
    return (
        b'<?xml version="1.0"?><?mso-application progid="Excel.Sheet"?>'
        b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"></Workbook>'
    )


def other_zip() -> bytes:
    return zip_of({"照片/001.jpg": b"\xff\xd8\xff" + bytes(100), "说明.txt": "名单".encode()})


def word_document() -> bytes:
    return zip_of({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<document/>"})


def binary_csv() -> bytes:
    return random.Random(7).randbytes(4096)


def truncated_xlsx() -> bytes:
    content = xlsx(GOOD)
    return content[: len(content) * 2 // 3]


def truncated_xls() -> bytes:
    return xls([("学生档案", GOOD)])[:1500]


def xls_reversed_dimensions() -> bytes:
    """A DIMENSIONS record whose first row lies after its last: calamine would compute a
    negative height, wrap around and ask for 880 GB, which aborts the whole process."""
    content = bytearray(xls([("学生档案", GOOD)]))
    at = content.find(struct.pack("<HH", 0x0200, 14))
    struct.pack_into("<I", content, at + 4, 0x6E000000)  # rwMic
    return bytes(content)


def xls_cut_record() -> bytes:
    """The Workbook stream ends inside a record (a DIMENSIONS header claiming 14 bytes)."""
    bof = struct.pack("<HH", 0x0809, 16) + struct.pack("<HHHHII", 0x0600, 0x10, 0, 0, 0, 6)
    filler = 4096 - len(bof) - 8
    stream = (
        bof + struct.pack("<HH", 0x00E1, filler) + bytes(filler) + struct.pack("<HH", 0x0200, 14)
    )
    return compound_file({"Workbook": stream})


def zip_of_unknown_version() -> bytes:
    """A zip directory entry that needs "version 22.2" to extract: zipfile raises
    NotImplementedError, not one of its usual errors."""
    content = bytearray(xlsx(GOOD))
    at = content.find(b"PK\x01\x02")
    struct.pack_into("<H", content, at + 6, 222)  # version needed to extract
    return bytes(content)


def encrypted() -> bytes:
    """Excel saves a password-protected workbook as an OLE2 file with these two streams."""
    return compound_file({"EncryptionInfo": b"\x04\x00\x04\x00", "EncryptedPackage": bytes(64)})


def macro_xlsm() -> bytes:
    return raw_book(GOOD, main=MACRO_MAIN)


def macro_inside_xlsx() -> bytes:
    return raw_book(GOOD, extra={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0"})


def zip_bomb() -> bytes:
    """100 MB of zeros in about 100 KB: within the size caps, compressed a thousand times."""
    return raw_book(GOOD, extra={"xl/media/image1.png": bytes(100 << 20)})


def entity_bomb() -> bytes:
    strings = (
        LAUGHS + '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<si><t>&lol9;</t></si></sst>"
    )
    return raw_book(GOOD, shared_strings=strings.encode())


def external_entity() -> bytes:
    prolog = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    body = (
        sheet_body([HEADERS]) + '<row r="2"><c r="A2" t="inlineStr"><is><t>&xxe;</t></is></c></row>'
    )
    return raw_xlsx(sheet_xml(body, prolog=prolog))


def million_rows() -> bytes:
    return raw_xlsx(sheet_xml(sheet_body(GOOD), dimension="A1:I1000001"))


def beyond_excel() -> bytes:
    far = '<row r="3"><c r="XFE3" t="inlineStr"><is><t>x</t></is></c></row>'  # column 16,385
    return raw_xlsx(sheet_xml(sheet_body(GOOD) + far))


def huge_shared_string() -> bytes:
    """A shared-strings part that declares 600 MB (test_hostile.py streams a real one)."""
    strings = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<si><t>a</t></si></sst>"
    )
    content = raw_book(GOOD, shared_strings=strings)
    return patch_member(content, "xl/sharedStrings.xml", size=600 << 20)


def merges_galore() -> bytes:
    """10,001 merged ranges: calamine would hand each over as Python objects (a million took
    13 s and 900 MB)."""
    merges = "".join(f'<mergeCell ref="A{r}:B{r}"/>' for r in range(3, 10_004))
    sheet = sheet_xml(sheet_body(GOOD)).replace(
        b"</sheetData>", f'</sheetData><mergeCells count="10001">{merges}</mergeCells>'.encode()
    )
    return raw_xlsx(sheet)


def too_big() -> bytes:
    return b"PK\x03\x04" + bytes(21 << 20)


SHARED_STRINGS = (
    '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    + "".join(f"<si><t>{text}</t></si>" for text in ("学号", "2023000001", "张三", "男"))
    + "</sst>"
).encode()


def shared_string_row(number: str) -> list[object]:
    """A GOOD row whose 学号 is the shared string at ``number`` (as written in <v>)."""
    shared = {"学号": Xml(' t="s"', f"<v>{number}</v>"), "姓名": Xml(' t="s"', "<v>2</v>")}
    return row(**{**ZHANG, **shared})


def negative_shared_string_index() -> bytes:
    """<v>-1</v> in a shared-string cell: calamine reads any index it cannot parse as 0, so the
    学号 silently read "学号" (the first shared string) instead of failing."""
    return raw_book([HEADERS, shared_string_row("-1")], shared_strings=SHARED_STRINGS)


def shared_string_index_past_the_end() -> bytes:
    return raw_book([HEADERS, shared_string_row("4")], shared_strings=SHARED_STRINGS)


def xls_string_index_past_the_end() -> bytes:
    """A LABELSST cell pointing past the SST: calamine read the cell as empty, without a word."""
    label = biff(0x00FD, struct.pack("<HHHI", 1, 8, 15, 99))  # I2 (备注): string 99 of 12
    return xls([("学生档案", GOOD)], extra_records=[label])


# ---------------------------------------------------------------------------------------------
# Accepted: encodings and containers


def csv_gbk() -> bytes:
    return csv_text([HEADERS, row(**ZHANG, 备注="转专业")]).encode("gbk")


def csv_bom() -> bytes:
    return csv_text(GOOD).encode("utf-8-sig")


def csv_unicode_text() -> bytes:
    """Excel's "Unicode text": UTF-16 with tabs."""
    return csv_text(GOOD).replace(",", "\t").encode("utf-16")


def second_sheet() -> bytes:
    instructions = [["填表说明"], ["1. 请在第二个工作表填写。"], ["2. 学号填写10位数字。"]]
    return xlsx(instructions, title="填表说明", sheets=[("学生档案数据", GOOD)])


def biff8() -> bytes:
    values = [2023000001.0, "张三", "男", None, 202309.0, True, 3.5, 12.0, "旧版 .xls"]
    return xls([("学生档案", [HEADERS, values])])


# ---------------------------------------------------------------------------------------------
# Accepted: formulas and what looks like them

INJECTIONS = [
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    '=HYPERLINK("http://x.cn","点我")',
]
MARKUP = '<script>alert("x")</script>&amp;'


def formula_injection_xlsx() -> bytes:
    rows = [
        row(学号=f"202300000{i}", 姓名=t[:10], 性别="男", 备注=t) for i, t in enumerate(INJECTIONS)
    ]
    return raw_book([HEADERS, *rows])


def formula_injection_csv() -> bytes:
    quoted = ['"' + t.replace('"', '""') + '"' for t in INJECTIONS]
    lines = [",".join(HEADERS)] + [f"202300000{i},x,男,,,,,,{t}" for i, t in enumerate(quoted)]
    return "\r\n".join(lines).encode()


def cached_formulas() -> bytes:
    """Formulas with the results Excel stored: the results are read."""
    values = row(
        **ZHANG,
        入学年月=Xml("", "<f>DATE(2023,9,1)</f><v>45170</v>"),
        学分=Xml("", "<f>1.5*2</f><v>3</v>"),
        人数=Xml("", "<f>SUM(1,1)</f><v>2</v>"),
        备注=Xml(' t="str"', '<f>"转"&amp;"专业"</f><v>转专业</v>'),
    )
    return raw_book([HEADERS, values])


def uncomputed_formulas() -> bytes:
    def build(book: openpyxl.Workbook) -> None:
        book.active.append(HEADERS)
        book.active.append(row(**ZHANG, 人数="=SUM(1,2)", 备注="=A2&B2"))  # no results stored

    return openpyxl_book(build)


def error_values() -> bytes:
    lookup = Xml(' t="e"', "<f>VLOOKUP(A2,名单!A:B,2,0)</f><v>#N/A</v>")
    divide = Xml(' t="e"', "<f>1/0</f><v>#DIV/0!</v>")
    rows = [
        row(学号="2023000001", 姓名=lookup, 性别="男"),
        row(**LI, 学分=divide),
        row(学号="2023000003", 姓名="#REF!", 性别="女"),  # an error pasted as text
    ]
    return raw_book([HEADERS, *rows])


def error_values_xls() -> bytes:
    na = biff(0x0205, struct.pack("<HHHBB", 1, 1, 15, 0x2A, 1))  # B2: BOOLERR #N/A
    # G2: a FORMULA (=1/0) whose cached result is #DIV/0!
    result = bytes([2, 0, 0x07, 0, 0, 0, 0xFF, 0xFF])
    tokens = bytes([0x1E, 1, 0, 0x1E, 0, 0, 0x06])  # ptgInt 1, ptgInt 0, ptgDiv
    body = struct.pack("<HHH", 1, 6, 15) + result + bytes(6) + struct.pack("<H", 7) + tokens
    rows = [HEADERS, [2023000001.0, None, "男"]]
    return xls([("学生档案", rows)], extra_records=[na, biff(0x0006, body)])


def error_values_csv() -> bytes:
    return csv_text(
        [HEADERS, row(学号="2023000001", 姓名="#N/A", 性别="男", 备注="#VALUE!")]
    ).encode()


def markup_in_text() -> bytes:
    return raw_book([HEADERS, row(**ZHANG, 备注=MARKUP)])


# ---------------------------------------------------------------------------------------------
# Accepted: Unicode

ZW = "\u200b"  # zero-width space


def full_width() -> bytes:
    values = row(
        学号="２０２３０００００１",
        姓名="Ｔｏｍ　李",
        性别="男",
        出生日期="２００５－０９－０１",
        入学年月="２０２３年９月",
        是否党员="否",
        学分="１２．５",
        人数="１，２３４",
    )
    return xlsx([HEADERS, values])


def zero_width() -> bytes:
    values = row(
        学号=f"{ZW}2023{ZW}000001\ufeff",
        姓名=f"张{ZW}三",
        性别=f"{ZW}男",
        出生日期=f"2005-09-01{ZW}",
    )
    return xlsx([HEADERS, values])


def spaces_in_codes() -> bytes:
    first = row(学号=" 2023000001\u00a0", 姓名="\u3000张三 ", 性别="男\u00a0", 入学年月=" 2023-09 ")
    second = row(学号="\t2023000002  ", 姓名="李四", 性别=" 女")
    return xlsx([HEADERS, first, second])


def bidi_marks() -> bytes:
    """Marks that text copied from web pages or PDFs carries, invisible in Excel."""
    first = row(
        学号="\u200f2023000001\u200e",
        姓名="\u202b张三\u202c",
        性别="\u200e男",
        出生日期="2005-09-01\u200f",
    )
    second = row(学号="\u20662023000002\u2069", 姓名="محمد", 性别="女")  # right-to-left text stays
    return xlsx([HEADERS, first, second])


def escaped_controls() -> bytes:
    """Excel's escape _xHHHH_ as another system writes it: calamine decodes it like Excel, so
    a NUL came into the 学号 and an ESC into the name. _x000D_ (carriage return) in a remark is
    an ordinary line break, and _x005F_x0000_ is the escaped text "_x0000_"."""
    values = row(
        学号=Xml(' t="inlineStr"', "<is><t>2023_x0000_000001</t></is>"),
        姓名=Xml(' t="inlineStr"', "<is><t>张_x001B_三</t></is>"),
        性别="男",
        备注=Xml(' t="inlineStr"', "<is><t>第一行_x000D_\n第二行 _x005F_x0000_</t></is>"),
    )
    return raw_book([HEADERS, values])


def literal_controls() -> bytes:
    """Control characters written into the XML as they are (calamine reads them; a CR LF in
    the XML reads as a line feed, as XML says)."""
    first = row(学号="\x1b2023000001", 姓名="张三\x07", 性别="男\x7f", 备注="备注\x0b")
    second = row(学号="2023000002\x1f", 姓名="李四", 性别="女", 备注="第一行\r\n第二行\t完")
    return raw_book([HEADERS, first, second])


def xls_controls() -> bytes:
    values = ["2023\x00000001", "张\x1b三", "男", None, None, None, None, None, "a\x85b"]
    return xls([("学生档案", [HEADERS, values])])


def csv_controls() -> bytes:
    return csv_text([HEADERS, row(**{**ZHANG, "姓名": "张\x1b三"}, 备注="x\x08")]).encode()


def line_break_in_id() -> bytes:
    first = row(**{**ZHANG, "学号": "2023\n000001"}, 备注="第一行\n第二行")
    second = row(**{**LI, "学号": "2023000002\t"})  # at the end: trimmed like a space
    return xlsx([HEADERS, first, second])


def traditional() -> bytes:
    return xlsx(
        [HEADERS, row(学号="2023000001", 姓名="張三豐", 性别="男", 备注="臺灣學生，來自澳門")]
    )


def emoji() -> bytes:
    """Characters outside the BMP count as one character each against the maximum length."""
    first = row(学号="2023000001", 姓名="𠀀" * 10, 性别="女", 备注="👍 优秀学生 😀")
    second = row(学号="2023000002", 姓名="𠮷" * 11, 性别="男")
    return xlsx([HEADERS, first, second])


# ---------------------------------------------------------------------------------------------
# Accepted: layout


def messy_header() -> bytes:
    headers = [" 学 号 ", "*姓名", "性别（必填）", "出生日期\n(YYYY-MM-DD)", "入学年月【必填】",
               "是否党员 ", "学\r\n分", "人数(选填)", "备注"]  # fmt: skip
    return xlsx([headers, row(**ZHANG, 人数=3)])


def title_rows() -> bytes:
    titles = [["2026年学生档案"], ["填报单位：药学院", None, "时点：9月30日"], []]
    return xlsx([*titles, *GOOD])


def merged_cells() -> bytes:
    def build(book: openpyxl.Workbook) -> None:
        sheet = book.active
        sheet.append(["2026年学生档案"])
        sheet.merge_cells("A1:I1")  # a merged title: harmless
        sheet.append(HEADERS)
        sheet.append(row(**ZHANG, 备注="同一宿舍"))
        sheet.append(row(学号="2023000002", 姓名="李四"))
        sheet.append(row(学号="2023000003", 姓名="王五"))
        sheet.merge_cells("C3:C5")  # 性别 typed once for three students
        sheet.merge_cells("I3:I4")

    return openpyxl_book(build)


def merged_cells_xls() -> bytes:
    merge = biff(0x00E5, struct.pack("<HHHHH", 1, 1, 2, 2, 2))  # MERGEDCELLS C2:C3
    rows = [HEADERS, row(**ZHANG), row(学号="2023000002", 姓名="李四")]
    return xls([("学生档案", rows)], extra_records=[merge])


def hidden_rows_and_columns() -> bytes:
    def build(book: openpyxl.Workbook) -> None:
        sheet = book.active
        sheet.append(HEADERS)
        sheet.append(row(**ZHANG, 备注="在读"))
        sheet.append(row(**LI, 备注="已退学"))
        sheet.append(row(学号="2023000003", 姓名="王五", 性别="男"))
        sheet.row_dimensions[3].hidden = True
        sheet.column_dimensions["I"].hidden = True

    return openpyxl_book(build)


def hidden_rows_xls() -> bytes:
    hidden = biff(0x0208, struct.pack("<8H", 2, 0, 3, 255, 0, 0, 0x20 | 0x100, 15))  # ROW 3
    return xls([("学生档案", [HEADERS, row(**ZHANG), row(**LI)])], extra_records=[hidden])


def header_only() -> bytes:
    return xlsx([HEADERS])


def blank_workbook() -> bytes:
    return xlsx([])


def duplicate_headers() -> bytes:
    return xlsx([[*HEADERS, "姓名"], [*row(**ZHANG), "李四"]])


def missing_column() -> bytes:
    keep = [i for i, name in enumerate(HEADERS) if name != "性别"]
    return xlsx([[r[i] for i in keep] for r in GOOD])


def extra_columns() -> bytes:
    return xlsx(
        [[*HEADERS, "身份证号", "联系电话"], [*row(**ZHANG), "110101200509010011", "13800138000"]]
    )


# ---------------------------------------------------------------------------------------------
# Accepted: values


def date_cells() -> bytes:
    rows = [
        row(学号="0", 出生日期=date(2005, 9, 1), 入学年月=datetime(2023, 9, 1, 8, 30)),
        row(学号="1", 出生日期=38596, 入学年月=45170.5),  # serials: the cells lost their format
        row(学号="2", 出生日期=20050901, 入学年月=202309),  # typed as numbers
        row(学号="3", 入学年月=2023.09),
    ]
    return xlsx([HEADERS] + [[r[0], "x", "男", *r[3:]] for r in rows])


# fmt: off
DATE_TEXTS = [  # typed, then as read into a YYYY-MM-DD field and into a YYYY-MM field
    ("2005/9/1", "2005-09-01", "2005-09"),
    ("2005.09.01", "2005-09-01", "2005-09"),
    ("2005年9月1日", "2005-09-01", "2005-09"),
    ("2005 年 9 月 1 号", "2005-09-01", "2005-09"),
    ("20050901", "2005-09-01", "2005-09"),
    ("2005-9-1", "2005-09-01", "2005-09"),
    ("2005-09-01 00:00:00", "2005-09-01", "2005-09"),
    ("2005/09/01 8:30", "2005-09-01", "2005-09"),
    ("2005-09-01T08:00:00", "2005-09-01", "2005-09"),
    ("２００５．９．１", "2005-09-01", "2005-09"),
    ("2005年9月", Bad("2005年9月"), "2005-09"),  # less precise than a day
    ("2005-09", Bad("2005-09"), "2005-09"),
    ("1/9/2005", Bad("1/9/2005"), Bad("1/9/2005")),  # day and month order unknown: not guessed
    ("05-9-1", Bad("05-9-1"), Bad("05-9-1")),
    ("2005-13-01", Bad("2005-13-01"), Bad("2005-13-01")),
    ("2005-02-30", Bad("2005-02-30"), Bad("2005-02-30")),  # not a real day
    ("二〇〇五年九月一日", Bad("二〇〇五年九月一日"), Bad("二〇〇五年九月一日")),
    ("Sep 1, 2005", Bad("Sep 1, 2005"), Bad("Sep 1, 2005")),
]
NUMBER_TEXTS = [  # typed, then as read into a decimal field and into a whole-number field
    ("12", "12", "12"),
    ("12.0", "12.0", "12"),
    (" 12 ", "12", "12"),
    ("1,234", "1234", "1234"),
    ("0012", "0012", "0012"),
    ("-3", "-3", "-3"),
    ("12.50", "12.50", Bad("12.50")),
    ("12元", Bad("12元"), Bad("12元")),
    ("1 234", Bad("1 234"), Bad("1 234")),
]
BOOLEANS = [  # typed, then as read
    ("是", "是"), ("否", "否"), ("√", "是"), ("×", "否"), ("Y", "是"), ("n", "否"),
    ("TRUE", "是"), ("False", "否"), ("1", "是"), ("0", "否"), ("有", "是"), ("无", "否"),
    (True, "是"), (False, "否"), (1, "是"), (0, "否"), ("是 ", "是"), ("✔", "是"),
    ("对", Bad("对")), ("不是", Bad("不是")),
]
# fmt: on


def date_texts() -> bytes:
    rows = [
        row(学号=str(i), 姓名="x", 性别="男", 出生日期=t, 入学年月=t)
        for i, (t, *_) in enumerate(DATE_TEXTS)
    ]
    return xlsx([HEADERS, *rows])


def numbers_as_text() -> bytes:
    rows = [
        row(学号=str(i), 姓名="x", 性别="男", 学分=t, 人数=t)
        for i, (t, *_) in enumerate(NUMBER_TEXTS)
    ]
    return xlsx([HEADERS, *rows])


def booleans() -> bytes:
    rows = [row(学号=str(i), 姓名="x", 性别="男", 是否党员=v) for i, (v, _) in enumerate(BOOLEANS)]
    return xlsx([HEADERS, *rows])


LONG_NOTE = "很长的备注。" * 7000  # 42,000 characters: more than an Excel cell can hold


def long_text() -> bytes:
    rows = [
        row(学号="2023000001", 姓名="欧阳" * 6, 性别="男"),
        row(**{**LI, "学号": "2" * 21}, 备注=LONG_NOTE),
    ]
    return csv_text([HEADERS, *rows]).encode()


def date1904_xlsx() -> bytes:
    """37,134 days after 1904-01-01 is 2005-09-01; in the 1900 system it would be 2001-08-31."""

    def build(book: openpyxl.Workbook) -> None:
        book.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
        book.active.append(HEADERS)
        book.active.append(row(**ZHANG, 出生日期=date(2005, 9, 1), 入学年月=37134))

    return openpyxl_book(build)


def date1904_xls() -> bytes:
    return xls([("学生档案", [HEADERS, [2023000001.0, "张三", "男", 37134.0]])], date1904=True)
