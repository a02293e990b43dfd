"""Streaming checks of the XML parts of an .xlsx, for ``safety``: each member is inflated in
small pieces and checked against its declared size; each worksheet's cells are located without
parsing the XML.

Why: calamine allocates rows × columns cells for a sheet's used range, so two cells at A1 and
XFD1048576 abort the process, and its XML reading is lenient (prefixed tags, attributes in any
order or quoting, a repeated attribute, cells without a reference all count). Files written by
Excel, WPS, LibreOffice, openpyxl or xlsxwriter write every cell as ``<c r="A1" …>``; for those
a few byte counts per piece prove that every cell lies in columns A–Z, and only references from
row 100,000 on are parsed one by one (about 0.13 s for a 50,000 × 8 roster). Anything else is
read again with a tolerant tokenizer that follows calamine's own rules (a cell's reference
wins; a cell without one follows the previous cell), slower but bounded by the cell limit.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from defusedxml import ElementTree as SafeElementTree
from django.utils.translation import gettext as _

from collection.excel import messages as msg
from collection.excel.cellnotes import SheetNotes, XmlNotes
from collection.excel.sharedrefs import SharedRefScan
from collection.schema import RejectedFile

if TYPE_CHECKING:
    from collection.excel.safety import Limits

MB = 1024 * 1024
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
_PIECE = 256 * 1024  # inflated bytes handled at a time: small enough to stay in cache
_HEAD_LIMIT = 64 * 1024


def check_extent(sheet: str, rows: int, columns: int, limits: Limits) -> None:
    """Refuse a sheet whose used range is beyond Excel or beyond the configured caps."""
    if rows > EXCEL_MAX_ROWS or columns > EXCEL_MAX_COLUMNS:
        cell = f"{column_letter(max(columns, 1))}{max(rows, 1)}"
        raise RejectedFile(_(msg.BEYOND_EXCEL) % {"sheet": sheet, "cell": cell})
    if rows > limits.max_sheet_rows:
        raise RejectedFile(
            _(msg.TOO_MANY_ROWS)
            % {"sheet": sheet, "rows": f"{rows:,}", "limit": f"{limits.max_rows:,}"}
        )
    if columns > limits.max_columns:
        raise RejectedFile(
            _(msg.TOO_MANY_COLUMNS)
            % {
                "sheet": sheet,
                "column": column_letter(columns),
                "count": columns,
                "limit": limits.max_columns,
            }
        )
    if rows * columns > limits.max_cells:
        raise RejectedFile(
            _(msg.TOO_MANY_CELLS)
            % {
                "sheet": sheet,
                "rows": f"{rows:,}",
                "columns": columns,
                "limit": f"{limits.max_cells:,}",
            }
        )


def check_merges(sheet: str, count: int, limits: Limits) -> None:
    """calamine hands every merged range over as Python objects: a million of them (4 MB of
    upload) took 13 s and 900 MB."""
    if count > limits.max_merged_ranges:
        raise RejectedFile(
            _(msg.TOO_MANY_MERGES)
            % {"sheet": sheet, "count": f"{count:,}", "limit": f"{limits.max_merged_ranges:,}"}
        )


def column_letter(number: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_number(letters: str) -> int:
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number


def _raw_member(content: bytes, info: zipfile.ZipInfo) -> memoryview:
    offset = info.header_offset
    if content[offset : offset + 4] != b"PK\x03\x04":
        raise RejectedFile(_(msg.CORRUPT))
    name_len, extra_len = struct.unpack_from("<HH", content, offset + 26)
    start = offset + 30 + name_len + extra_len
    raw = memoryview(content)[start : start + info.compress_size]
    if len(raw) != info.compress_size:
        raise RejectedFile(_(msg.CORRUPT))
    return raw


def inflate(content: bytes, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The member's bytes in pieces of at most _PIECE, checked against its declared size: a
    member that inflates to more than it declares is refused as soon as it does."""
    raw = _raw_member(content, info)
    if info.compress_type == zipfile.ZIP_STORED:
        if info.compress_size != info.file_size:
            raise RejectedFile(_(msg.CORRUPT))
        for start in range(0, len(raw), _PIECE):
            yield bytes(raw[start : start + _PIECE])
        return
    inflater = zlib.decompressobj(-15)
    total = 0
    try:
        for start in range(0, len(raw), 64 * 1024):
            data: Any = raw[start : start + 64 * 1024]
            while data:
                piece = inflater.decompress(data, _PIECE)
                data = inflater.unconsumed_tail
                total += len(piece)
                if total > info.file_size:
                    raise RejectedFile(_(msg.CORRUPT))
                if piece:
                    yield piece
            if inflater.eof:
                break
    except zlib.error as exc:
        raise RejectedFile(_(msg.CORRUPT)) from exc
    if not inflater.eof or total != info.file_size:
        raise RejectedFile(_(msg.CORRUPT))


_DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_SMALL_XML = 8 * MB  # content types, workbook, relationships: read whole


def xml_pieces(content: bytes, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """Inflate an XML part, refusing other encodings than UTF-8 and any DTD, piece by piece;
    each yielded piece ends on a tag boundary, so no tag is split between two pieces."""
    carry = b""
    first = True
    for chunk in inflate(content, info):
        if first:
            _check_encoding(chunk[:256])
            first = False
        buffer = carry + chunk if carry else chunk
        if b"!" in buffer and _DECLARATION.search(buffer):
            raise RejectedFile(_(msg.XML_ENTITY))
        cut = buffer.rfind(b"<")
        if cut < 0 or buffer.find(b">", cut) >= 0:
            carry = b""
            yield buffer
        else:
            if len(buffer) - cut > _HEAD_LIMIT:
                raise RejectedFile(_(msg.IRREGULAR) % {"sheet": info.filename})
            carry = buffer[cut:]
            yield buffer[:cut]
    if carry:
        yield carry


def _check_encoding(head: bytes) -> None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")) or b"\x00" in head[:8]:
        raise RejectedFile(_(msg.XML_ENCODING))
    declaration = head.split(b"?>", 1)[0].lower()
    if b"encoding" in declaration and not re.search(
        rb"encoding\s*=\s*[\"'](?:utf-8|utf8|us-ascii)[\"']", declaration
    ):
        raise RejectedFile(_(msg.XML_ENCODING))


def small_xml(content: bytes, info: zipfile.ZipInfo) -> Any:
    if info.file_size > _SMALL_XML:
        raise RejectedFile(_(msg.CORRUPT))
    data = b"".join(xml_pieces(content, info))
    try:
        return SafeElementTree.fromstring(data)
    except Exception as exc:  # defusedxml raises its own errors for DTDs and entities
        raise RejectedFile(_(msg.CORRUPT)) from exc


def uses_1904_dates(content: bytes, by_name: dict[str, zipfile.ZipInfo]) -> bool:
    """Whether the workbook counts dates from 1904 (old Mac Excel) instead of 1900."""
    workbook = small_xml(content, by_name["xl/workbook.xml"])
    for node in workbook.iter():
        if node.tag.rsplit("}", 1)[-1] == "workbookPr":
            return (node.get("date1904") or "").lower() in ("1", "true")
    return False


def sheet_names(content: bytes, by_name: dict[str, zipfile.ZipInfo]) -> dict[str, str]:
    """Worksheet part name (lower case) → sheet name as the user sees it."""
    workbook = small_xml(content, by_name["xl/workbook.xml"])
    rels_info = by_name.get("xl/_rels/workbook.xml.rels")
    if rels_info is None:
        return {}
    targets = {}
    for node in small_xml(content, rels_info).iter():
        if node.get("Id") and node.get("Target"):
            target = node.get("Target").lstrip("/")
            if not target.lower().startswith("xl/"):
                target = "xl/" + target
            targets[node.get("Id")] = target.lower()
    found = {}
    for node in workbook.iter():
        if node.tag.rsplit("}", 1)[-1] != "sheet":
            continue
        rel = next((v for k, v in node.attrib.items() if k.rsplit("}", 1)[-1] == "id"), None)
        if rel in targets:
            found[targets[rel]] = node.get("name") or ""
    return found


# ---------------------------------------------------------------------------------------------
# Worksheet XML

_SHAPE = bytes.maketrans(b'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"', b"A" * 26 + b"0" * 10 + b" ")
# References from row 100,000 on (in the shape): parsed one by one, rare in real files.
_DEEP = re.compile(rb"<c r= A000000")
_PREFIXED_CELL = re.compile(rb":(?:c|row)[\s/>]")
_REFERENCE = re.compile(rb"\$?([A-Za-z]{1,4})\$?([0-9]{1,9})")
_DIMENSION = re.compile(rb"<(?:[\w.-]+:)?dimension\b[^>]*?\bref\s*=\s*[\"']([^\"']{0,64})[\"']")
_RANGE = re.compile(r"\$?([A-Za-z]{1,4})\$?([0-9]{1,9})(?::\$?([A-Za-z]{1,4})\$?([0-9]{1,9}))?")
_CANONICAL_ROWS, _CANONICAL_COLUMNS = 99_999, 26
_TAG = re.compile(rb"<(?:[\w.-]+:)?(row|c)(?=[\s/>])([^>\"']*(?:(?:\"[^\"]*\"|'[^']*')[^>\"']*)*)>")
# An r attribute, with or without a prefix, even glued to the previous attribute's quote.
_R_VALUE = re.compile(rb"(?:(?<=[\s\"'])|^)(?:[\w.-]+:)?r\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_TOLERANT_TAGS = 1_000_000  # rows and cells (about 2 s); beyond, the file must be re-saved


class _SheetScan:
    """Where the cells of one worksheet are, from its XML, without parsing it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.state = 0  # 0 before <sheetData>, 1 inside, 2 after
        self.head = b""
        self.irregular = False
        self.rows = 0  # last row and column of the cells from row 100,000 on
        self.columns = 0
        self.cells = 0
        self.canonical = False  # cells in columns A to Z, rows up to 99,999 unless counted above

    def feed(self, piece: bytes) -> None:
        if self.state == 0:
            start = piece.find(b"<sheetData")
            if start < 0:
                if b"sheetData" in piece:
                    self.irregular = True  # a prefixed <x:sheetData>
                if len(self.head) < _HEAD_LIMIT:
                    self.head += piece[:_HEAD_LIMIT]
                return
            self.head += piece[: min(start, _HEAD_LIMIT)]
            if piece.startswith(b"<sheetData/>", start):
                self.state = 2
                self._after(piece[start + 12 :])
                return
            self.state = 1
            piece = piece[start:]
        if self.state == 1:
            end = piece.find(b"</sheetData>")
            if end < 0:
                self._cells(piece)
                return
            self._cells(piece[:end])
            self.state = 2
            piece = piece[end + 12 :]
        self._after(piece)

    def _after(self, piece: bytes) -> None:
        if b"sheetData" in piece:
            self.irregular = True

    def _cells(self, data: bytes) -> None:
        if self.irregular:
            return
        # Whitespace other than a space, single quotes and prefixed tags: the tokenizer's job.
        if (
            b"\t" in data
            or b"\n" in data
            or b"\r" in data
            or b"'" in data
            or _PREFIXED_CELL.search(data)
        ):
            self.irregular = True
            return
        # In the shape (letters → A, digits → 0, " → space) each cell must read <c r= A0…
        # (columns A to Z), and every " r" must be the reference of a cell or a row: a second
        # reference, even glued to the previous attribute ("r), makes one " r" too many.
        shape = data.translate(_SHAPE)
        cells = shape.count(b"<c")
        if shape.count(b"<c r= A0") != cells or shape.count(b" r") != cells + shape.count(
            b"<row r= 0"
        ):
            self.irregular = True
            return
        self.cells += cells
        self.canonical = self.canonical or cells > 0
        if b"<c r= A000000" in shape:  # rows from 100,000 on: read each one
            for match in _DEEP.finditer(shape):
                reference = _REFERENCE.match(data, match.start() + 6)
                assert reference is not None  # the shape says a letter then digits
                self.rows = max(self.rows, int(reference.group(2)))
                self.columns = max(self.columns, column_number(reference.group(1).decode()))

    def bounds(self) -> tuple[int, int]:
        """Upper bounds of the last row and column that calamine will allocate."""
        if self.canonical:
            return max(self.rows, _CANONICAL_ROWS), max(self.columns, _CANONICAL_COLUMNS)
        return self.rows, self.columns


def check_sheet(content: bytes, info: zipfile.ZipInfo, name: str, limits: Limits) -> SheetNotes:
    """Refuse a sheet beyond the limits or with a damaged shared-string reference; otherwise
    what calamine will not tell about it."""
    scan = _SheetScan(name)
    notes = XmlNotes()
    refs = SharedRefScan(name)
    for piece in xml_pieces(content, info):
        scan.feed(piece)
        notes.feed(piece)
        refs.feed(piece)
    refs.close()
    _check_dimension(scan.head, name, limits)
    if scan.irregular:
        rows, columns, cells = _tolerant_extent(content, info, name, limits)
        bound_rows, bound_columns = rows, columns
    else:
        rows, columns, cells = scan.rows, scan.columns, scan.cells
        bound_rows, bound_columns = scan.bounds()
    check_extent(name, rows, columns, limits)
    check_merges(name, notes.notes.merged_ranges, limits)
    if cells > limits.max_cells or bound_rows * bound_columns > limits.max_cells:
        raise RejectedFile(
            _(msg.TOO_MANY_CELLS)
            % {
                "sheet": name,
                "rows": f"{bound_rows:,}",
                "columns": bound_columns,
                "limit": f"{limits.max_cells:,}",
            }
        )
    return notes.notes


def _check_dimension(head: bytes, name: str, limits: Limits) -> None:
    match = _DIMENSION.search(head)
    if match is None:
        return
    ref = _RANGE.fullmatch(match.group(1).decode("ascii", "replace"))
    if ref is None:
        return
    letters, digits = (ref.group(3), ref.group(4)) if ref.group(3) else (ref.group(1), ref.group(2))
    check_extent(name, int(digits), column_number(letters), limits)


def _tolerant_extent(
    content: bytes, info: zipfile.ZipInfo, name: str, limits: Limits
) -> tuple[int, int, int]:
    """Follow calamine's rules on any sheet XML: a cell's reference wins (the last one, if
    repeated; every one counts here), else it is the next cell of the current row; a row
    without a number follows the previous one. Python work per tag, hence a budget."""
    row = rows = columns = cells = column = tags = 0
    for piece in xml_pieces(content, info):
        found = _TAG.findall(piece)
        tags += len(found)
        if tags > _TOLERANT_TAGS:
            raise RejectedFile(_(msg.IRREGULAR) % {"sheet": name})
        for kind, attributes in found:
            refs = _R_VALUE.findall(attributes) if b"r" in attributes else None
            if kind == b"row":
                last = refs[-1][0] or refs[-1][1] if refs else b""
                row = int(last) if last.isdigit() else row + 1
                column = 0
                continue
            cells += 1
            if not refs:
                column += 1
                if column > columns:
                    columns = column
                if row > rows:
                    rows = row
                continue
            for double, single in refs:
                match = _REFERENCE.fullmatch(double or single)
                if match is None:
                    raise RejectedFile(_(msg.IRREGULAR) % {"sheet": name})
                column = column_number(match.group(1).decode())
                rows, columns = max(rows, int(match.group(2))), max(columns, column)
        if rows > EXCEL_MAX_ROWS or columns > EXCEL_MAX_COLUMNS:
            check_extent(name, rows, columns, limits)
    return rows, columns, cells
