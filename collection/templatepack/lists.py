"""Drop-down lists of an .xlsx template: its data validations of type "list".

Plain Python, on bytes that ``collection.excel.safety`` has checked. A template's worksheet XML
is small, but a hidden list sheet may be long, so the XML is streamed (``sheetscan.xml_pieces``:
bounded, DTDs refused) and only the ``dataValidations`` blocks are kept: the classic ones
(``<dataValidation type="list" sqref="C2:C500"><formula1>"男,女"</formula1>``) and Excel 2010's
extension for lists on another sheet (``<x14:dataValidation type="list"><x14:formula1><xm:f>
代码表!$A$1:$A$9</xm:f></x14:formula1><xm:sqref>C2:C500</xm:sqref>``). openpyxl reads them too,
but loads every cell of every sheet to do it (0.12 s for a template with a 6,000-cell list
sheet, against a few ms here).

A list's formula is either written out (``"a,b,c"``) or a reference (a range, possibly on another
sheet, or a defined name for one); ``resolve`` turns a reference into a sheet and a rectangle,
and the caller reads the cells. Anything else (``INDIRECT(…)``, ``OFFSET(…)``) cannot be read.
"""

from __future__ import annotations

import html
import re
import zipfile
from dataclasses import dataclass
from io import BytesIO

from collection.excel.sheetscan import column_number, sheet_names, small_xml, xml_pieces

MAX_BLOCK = 4 * 1024 * 1024  # validation XML kept per sheet; a template has a few KB of it
MAX_VALUES = 5_000  # values read from one list

_START = re.compile(rb"<(?:[\w.-]+:)?dataValidations\b")
_END = re.compile(rb"</(?:[\w.-]+:)?dataValidations\s*>")
_RULE = re.compile(
    r"<(?:[\w.-]+:)?dataValidation\b([^>]*?)(?:/>|>(.*?)</(?:[\w.-]+:)?dataValidation\s*>)",
    re.DOTALL,
)
_ATTR = re.compile(r"([\w:.-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_FORMULA1 = re.compile(r"<(?:[\w.-]+:)?formula1\b[^>]*>(.*?)</(?:[\w.-]+:)?formula1\s*>", re.DOTALL)
_SQREF = re.compile(r"<(?:[\w.-]+:)?sqref\b[^>]*>(.*?)</(?:[\w.-]+:)?sqref\s*>", re.DOTALL)
_TAGS = re.compile(r"<[^>]*>")
_CELL = r"\$?([A-Za-z]{1,3})\$?(\d{0,7})"
_REFERENCE = re.compile(rf"^(?:(?:'((?:[^']|'')+)'|([^'!]+))!)?{_CELL}(?::{_CELL})?$")


@dataclass(frozen=True)
class ListRule:
    sqref: str  # the cells it applies to, "C2:C500 E2"
    formula: str  # as written, without the leading "="


@dataclass(frozen=True)
class Area:
    """A rectangle of a sheet, 1-based and inclusive; rows None = the whole column."""

    sheet: str
    first_column: int
    last_column: int
    first_row: int | None
    last_row: int | None


def list_rules(content: bytes) -> dict[str, list[ListRule]]:
    """The list validations of every worksheet, by sheet name."""
    archive = zipfile.ZipFile(BytesIO(content))
    by_name = {info.filename.lower(): info for info in archive.infolist()}
    found: dict[str, list[ListRule]] = {}
    for part, sheet in sheet_names(content, by_name).items():
        info = by_name.get(part)
        if info is None or not part.startswith("xl/worksheets/"):
            continue
        rules = [r for block in _blocks(content, info) for r in _rules(block)]
        if rules:
            found[sheet] = rules
    return found


def defined_names(content: bytes) -> dict[str, str]:
    """The workbook's defined names (global ones, and sheet-local ones by plain name)."""
    archive = zipfile.ZipFile(BytesIO(content))
    by_name = {info.filename.lower(): info for info in archive.infolist()}
    info = by_name.get("xl/workbook.xml")
    if info is None:
        return {}
    names: dict[str, str] = {}
    for node in small_xml(content, info).iter():
        if node.tag.rsplit("}", 1)[-1] == "definedName" and node.get("name"):
            names.setdefault(node.get("name"), (node.text or "").strip())
    return names


def _blocks(content: bytes, info: zipfile.ZipInfo) -> list[str]:
    """The text of every dataValidations block of a worksheet part."""
    blocks, current, capturing = [], bytearray(), False
    for piece in xml_pieces(content, info):
        view = piece
        while view:
            if not capturing:
                start = _START.search(view)
                if start is None:
                    break
                capturing, view = True, view[start.start() :]
            end = _END.search(view)
            if end is None:
                current += view
                break
            current += view[: end.end()]
            blocks.append(current.decode("utf-8", "replace"))
            current, capturing, view = bytearray(), False, view[end.end() :]
        if len(current) > MAX_BLOCK:
            break  # far beyond any template: what was kept so far is enough
    return blocks


def _rules(block: str) -> list[ListRule]:
    found = []
    for match in _RULE.finditer(block):
        attrs = {
            m.group(1).rsplit(":", 1)[-1]: m.group(2) or m.group(3) or ""
            for m in _ATTR.finditer(match.group(1))
        }
        if attrs.get("type") != "list":
            continue
        body = match.group(2) or ""
        formula = _FORMULA1.search(body)
        element = _SQREF.search(body)
        sqref = attrs.get("sqref") or (element.group(1) if element else "")
        if formula is None or not sqref:
            continue
        text = html.unescape(_TAGS.sub("", formula.group(1))).strip().removeprefix("=")
        found.append(ListRule(html.unescape(sqref).strip(), text))
    return found


def inline_values(formula: str) -> list[str] | None:
    """The values of a list written out in the validation (``"a,b,c"``), else None."""
    if not (len(formula) >= 2 and formula.startswith('"') and formula.endswith('"')):
        return None
    return _unique(part.strip() for part in formula[1:-1].replace('""', '"').split(","))


def resolve(formula: str, own_sheet: str, names: dict[str, str], depth: int = 0) -> Area | None:
    """The area a list's reference points at (a range, or a defined name for one), or None."""
    text = formula.strip()
    if text in names and depth < 3:
        return resolve(names[text].removeprefix("="), own_sheet, names, depth + 1)
    match = _REFERENCE.match(text)
    if match is None:
        return None
    quoted, plain, c1, r1, c2, r2 = match.groups()
    sheet = quoted.replace("''", "'") if quoted else (plain or own_sheet)
    c2, r2 = c2 or c1, r2 if c2 else r1
    rows = (int(r1), int(r2)) if r1 and r2 else (None, None)
    first, last = sorted((column_number(c1), column_number(c2)))
    return Area(sheet.strip() if plain else sheet, first, last, *rows)


def sqref_columns(sqref: str, below_row: int) -> set[int]:
    """The columns (1-based) a validation covers in rows after ``below_row``."""
    columns: set[int] = set()
    for part in sqref.split():
        match = re.fullmatch(rf"{_CELL}(?::{_CELL})?", part)
        if match is None:
            continue
        c1, r1, c2, r2 = match.groups()
        last_row = int(r2 or r1 or 0) if (r2 or r1) else None
        if last_row is not None and last_row <= below_row:
            continue
        first, last = sorted((column_number(c1), column_number(c2 or c1)))
        columns.update(range(first, min(last, first + 500) + 1))
    return columns


def _unique(values: object) -> list[str]:
    found = list(dict.fromkeys(v for v in values if v))  # type: ignore[attr-defined]
    return found[:MAX_VALUES]


def area_values(grid: list[list[object]], area: Area, text: object) -> list[str]:
    """The texts of an area's cells in a sheet's grid (``text`` turns a cell into text), by
    column then row, empty cells and repeats left out."""
    last_row = len(grid) if area.last_row is None else min(area.last_row, len(grid))
    first_row = 1 if area.first_row is None else area.first_row
    cells = (
        text(grid[r - 1][c - 1])  # type: ignore[operator]
        for c in range(area.first_column, area.last_column + 1)
        for r in range(first_row, last_row + 1)
        if c - 1 < len(grid[r - 1])
    )
    return _unique(cells)
