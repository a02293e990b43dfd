"""Build test workbooks in memory: a minimal BIFF8 .xls writer (there is no .xls writer in the
project's dependencies), a raw .xlsx writer for hand-made sheet XML, and an .xlsx writer on
top of openpyxl for the friendly cases."""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime

import openpyxl

# ---------------------------------------------------------------------------------------------
# .xlsx

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="{main}"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
MACRO_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def sheet_xml(body: str, *, dimension: str | None = None, prolog: str = "") -> bytes:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{prolog}'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{dim}<sheetData>{body}</sheetData></worksheet>"
    ).encode()


def inline_rows(rows: Iterable[Sequence[str]]) -> str:
    """Sheet XML rows of inline strings, from row 1."""
    parts = []
    for r, row in enumerate(rows, start=1):
        cells = "".join(
            f'<c r="{_letter(c)}{r}" t="inlineStr"><is><t>{v}</t></is></c>'
            for c, v in enumerate(row, start=1)
        )
        parts.append(f'<row r="{r}">{cells}</row>')
    return "".join(parts)


def raw_xlsx(
    sheet: bytes,
    *,
    extra: dict[str, bytes] | None = None,
    main: str = MAIN,
    shared_strings: bytes | None = None,
) -> bytes:
    """A minimal .xlsx around one sheet's XML."""
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES.format(main=main))
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        if shared_strings is not None:
            archive.writestr("xl/sharedStrings.xml", shared_strings)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return output.getvalue()


def xlsx(
    rows: Sequence[Sequence[object]],
    *,
    title: str = "Sheet1",
    meta: Sequence[tuple[str, object]] | None = None,
    sheets: Sequence[tuple[str, Sequence[Sequence[object]]]] = (),
    start_row: int = 1,
) -> bytes:
    """An .xlsx written by openpyxl: ``rows`` on the first sheet from ``start_row``, more
    sheets after it, and a very hidden "_caiji" sheet when ``meta`` is given."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for r, row in enumerate(rows, start=start_row):
        for c, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(row=r, column=c, value=value)
    for name, extra_rows in sheets:
        other = book.create_sheet(name)
        for row in extra_rows:
            other.append(list(row))
    if meta is not None:
        hidden = book.create_sheet("_caiji")
        for key, value in meta:
            hidden.append([key, value])
        hidden.sheet_state = "veryHidden"
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def _letter(n: int) -> str:
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# ---------------------------------------------------------------------------------------------
# .xls (BIFF8 in an OLE2 compound file)

END_OF_CHAIN, FREE, FAT_SECTOR, NO_STREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
_GENERAL_XF, _DATE_XF = 15, 16


def _record(kind: int, body: bytes) -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def _bof(sheet_type: int) -> bytes:
    return _record(0x0809, struct.pack("<HHHHII", 0x0600, sheet_type, 0x0DBB, 0x07CC, 0, 6))


def _xf(fmt: int, style: bool) -> bytes:
    flags = 0xFFF5 if style else 0x0001
    return _record(0x00E0, struct.pack("<HHH", 0, fmt, flags) + bytes(14))


def _unicode(text: str, length_bytes: int) -> bytes:
    data = text.encode("utf-16-le")
    fmt = "<BB" if length_bytes == 1 else "<HB"
    return struct.pack(fmt, len(text), 1) + data


def xls(
    sheets: Sequence[tuple[str, Sequence[Sequence[object]]]],
    *,
    filepass: bool = False,
    macro_sheet: bool = False,
    cells: Sequence[tuple[int, int]] = (),
    extra_records: Sequence[bytes] = (),
    date1904: bool = False,
) -> bytes:
    """A .xls workbook: strings, numbers, booleans and dates (as date-formatted numbers).
    ``cells`` adds blank cells at (row, column), zero-based, to the first sheet, and
    ``extra_records`` raw BIFF records (merged cells, error cells, row flags …) to it;
    ``date1904`` sets the workbook's date system."""
    strings: list[str] = []
    index: dict[str, int] = {}

    def sst(text: str) -> int:
        if text not in index:
            index[text] = len(strings)
            strings.append(text)
        return index[text]

    bodies = []
    for sheet_no, (_, rows) in enumerate(sheets):
        records = [_bof(0x0010)]
        height = len(rows)
        width = max((len(r) for r in rows), default=0)
        records.append(_record(0x0200, struct.pack("<IIHHH", 0, height, 0, width, 0)))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None or value == "":
                    continue
                if isinstance(value, bool):
                    body = struct.pack("<HHHBB", r, c, _GENERAL_XF, int(value), 0)
                    records.append(_record(0x0205, body))
                elif isinstance(value, (int, float)):
                    records.append(_record(0x0203, struct.pack("<HHHd", r, c, _GENERAL_XF, value)))
                elif isinstance(value, (date, datetime)):
                    serial = (value - date(1899, 12, 30)).days if isinstance(value, date) else 0
                    records.append(_record(0x0203, struct.pack("<HHHd", r, c, _DATE_XF, serial)))
                else:
                    records.append(
                        _record(0x00FD, struct.pack("<HHHI", r, c, _GENERAL_XF, sst(str(value))))
                    )
        if sheet_no == 0:
            for r, c in cells:
                records.append(_record(0x0201, struct.pack("<HHH", r, c, _GENERAL_XF)))
            records.extend(extra_records)
        records.append(_record(0x000A, b""))
        bodies.append(b"".join(records))
    if macro_sheet:
        bodies.append(_bof(0x0040) + _record(0x000A, b""))

    sst = sst_records(strings)

    def globals_stream(offsets: list[int]) -> bytes:
        records = [_bof(0x0005)]
        if filepass:
            records.append(_record(0x002F, struct.pack("<HHH", 0, 0x1234, 0x5678)))
        records.append(_record(0x0042, struct.pack("<H", 1200)))
        records.append(_record(0x0022, struct.pack("<H", int(date1904))))
        records += [_xf(0, True) for _ in range(15)]
        records += [_xf(0, False), _xf(14, False)]
        names = [name for name, _ in sheets] + (["Macro1"] if macro_sheet else [])
        for i, name in enumerate(names):
            kind = 1 if macro_sheet and i == len(sheets) else 0
            body = struct.pack("<IBB", offsets[i], 0, kind) + _unicode(name, 1)
            records.append(_record(0x0085, body))
        records.append(_record(0x00FC, sst[0]))
        records += [_record(0x003C, body) for body in sst[1:]]
        records.append(_record(0x000A, b""))
        return b"".join(records)

    head = globals_stream([0] * len(bodies))
    offsets, position = [], len(head)
    for body in bodies:
        offsets.append(position)
        position += len(body)
    stream = globals_stream(offsets) + b"".join(bodies)
    return compound_file({"Workbook": stream})


def sst_records(strings: Sequence[str], limit: int = 8224) -> list[bytes]:
    """The bodies of an SST record and its CONTINUE records, split as Excel splits them: a
    string whose header does not fit starts in the next record, and characters cut by a record
    boundary go on after a new width flag."""
    bodies = [bytearray(struct.pack("<II", len(strings), len(strings)))]
    for text in strings:
        data = text.encode("utf-16-le")
        header = struct.pack("<HB", len(text), 1)
        if len(bodies[-1]) + len(header) + 2 > limit:
            bodies.append(bytearray())
        bodies[-1] += header
        while data:
            room = (limit - len(bodies[-1])) // 2 * 2
            bodies[-1] += data[:room]
            data = data[room:]
            if data:
                bodies.append(bytearray([1]))
    return [bytes(body) for body in bodies]


def compound_file(streams: dict[str, bytes]) -> bytes:
    """An OLE2 compound file (version 3, 512-byte sectors) holding ``streams``, each padded to
    4096 bytes so that none lives in the mini stream."""
    sector = 512
    names = sorted(streams, key=lambda n: (len(n), n.upper()))
    data = {n: streams[n] + bytes(max(0, 4096 - len(streams[n]))) for n in names}
    chains: dict[str, list[int]] = {}
    next_sector = 0
    for n in names:
        count = -(-len(data[n]) // sector)
        chains[n] = list(range(next_sector, next_sector + count))
        next_sector += count
    entries = 1 + len(names)
    dir_sectors = -(-entries * 128 // sector)
    dir_chain = list(range(next_sector, next_sector + dir_sectors))
    next_sector += dir_sectors
    fat_sectors = 1
    while (next_sector + fat_sectors) > fat_sectors * (sector // 4):
        fat_sectors += 1
    assert fat_sectors <= 109
    fat_chain = list(range(next_sector, next_sector + fat_sectors))
    total = next_sector + fat_sectors
    fat = [FREE] * (fat_sectors * sector // 4)
    for chain in [*chains.values(), dir_chain]:
        for a, b in zip(chain, [*chain[1:], END_OF_CHAIN], strict=True):
            fat[a] = b
    for s in fat_chain:
        fat[s] = FAT_SECTOR

    def entry(name: str, kind: int, start: int, size: int, right: int, child: int) -> bytes:
        raw = (name.encode("utf-16-le") + b"\x00\x00").ljust(64, b"\x00")
        return (
            raw
            + struct.pack("<HBB", len(name) * 2 + 2, kind, 1)
            + struct.pack("<III", NO_STREAM, right, child)
            + bytes(16 + 4 + 16)
            + struct.pack("<IQ", start, size)
        )

    directory = entry("Root Entry", 5, END_OF_CHAIN, 0, NO_STREAM, 1 if names else NO_STREAM)
    for i, n in enumerate(names, start=1):
        right = i + 1 if i < len(names) else NO_STREAM
        directory += entry(n, 2, chains[n][0], len(data[n]), right, NO_STREAM)
    directory = directory.ljust(dir_sectors * sector, b"\x00")

    header = bytes.fromhex("D0CF11E0A1B11AE1") + bytes(16)
    header += struct.pack("<HHHHH", 0x003E, 3, 0xFFFE, 9, 6) + bytes(6)
    header += struct.pack("<IIII", 0, fat_sectors, dir_chain[0], 0)
    header += struct.pack("<IIIII", 4096, END_OF_CHAIN, 0, END_OF_CHAIN, 0)
    difat = fat_chain + [FREE] * (109 - len(fat_chain))
    header += struct.pack("<109I", *difat)
    assert len(header) == 512
    body = b"".join(data[n].ljust(len(chains[n]) * sector, b"\x00") for n in names)
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    result = header + body + directory + fat_bytes
    assert len(result) == (total + 1) * sector
    return result
