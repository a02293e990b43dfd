"""The platform's import files: one .xlsx per table in the template's layout, written directly.

The layout is the template's (``collection.excel.template``) without what only a person filling
it needs: the sheet named as the table's sheet, the header row in row 1 with the same style,
column widths and text formats, the header frozen; data from row 2. No comments, dropdowns,
hidden code-list sheet or ``_caiji`` metadata sheet.

Cells:
* int and decimal fields: a number cell when the stored text is a plain number that a number
  cell gives back unchanged (no leading zeros, no trailing zeros after the point, at most 15
  significant digits); anything else stays text, so nothing is rounded on the way out;
* every other field: a text cell in a text-formatted column, so codes and IDs keep their leading
  zeros and dates stay in the field's format (YYYY-MM, YYYYMM …) as stored;
* several values of a multi-value field are joined with ";";
* text that begins with = + - @, a tab or a carriage return (``config.xlsx.FORMULA_STARTS``)
  gets Excel's quote prefix (the style a typed leading ') so no program takes it for a formula;
  the value itself is unchanged, so the file reads back to the same data.

Why written by hand: measured on the 2-core machine (bench/export.py, docs/performance.md),
openpyxl's write-only mode, xlsxwriter's constant-memory mode and PyExcelerate all spend most of
their time on per-cell objects; the OOXML this needs is a handful of fixed parts and one row
loop, and streams at several times their speed. The parts follow what Excel itself writes
(shared strings, ``r`` references on every cell); the output is byte-for-byte deterministic for
the same data, so a package's hashes repeat.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from xml.sax.saxutils import escape as xml_escape

from collection.excel.normalize import MULTI_SEPARATORS
from collection.excel.template import column_plan
from collection.schema import FieldType, TableSchema
from config.xlsx import FORMULA_STARTS

NUMERIC = frozenset({FieldType.INT, FieldType.DECIMAL})
FORMULA_CHARS = FORMULA_STARTS  # the first characters that get the quote prefix
ZIP_DATE = (2000, 1, 1, 0, 0, 0)  # fixed, so the same data gives the same bytes
COMPRESS_LEVEL = 1  # measured: level 6 costs 3× the time for ~15 % smaller files
_PLAIN_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]*[1-9])?")
# Characters XML 1.0 cannot hold, and text that looks like Excel's own _xHHHH_ escape.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")

# Cell styles (cellXfs indexes in STYLES).
S_HEADER, S_TEXT, S_TEXT_QUOTED, S_NUMBER = 1, 2, 3, 4

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>"
)
CORE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<dc:title>{title}</dc:title><dc:creator>caiji</dc:creator>"
    "</cp:coreProperties>"
)
APP = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>caiji</Application></Properties>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<bookViews><workbookView activeTab="0"/></bookViews>'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets>'
    "</workbook>"
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
# The template's header (bold, light blue, thin border, wrapped, centred vertically); text
# (number format 49 "@"), text with the quote prefix, and the general format for numbers.
STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/>'
    "</patternFill></fill></fills>"
    '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
    '<border><left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/>'
    '</right><top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/>'
    "</bottom><diagonal/></border></borders>"
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" '
    'applyBorder="1" applyAlignment="1"><alignment vertical="center" wrapText="1"/></xf>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" '
    'quotePrefix="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<dimension ref="{dimension}"/>'
    '<sheetViews><sheetView tabSelected="1" workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
    "</sheetView></sheetViews>"
    '<sheetFormatPr defaultRowHeight="15"/>'
    "<cols>{cols}</cols><sheetData>"
)
SHEET_TAIL = (
    '</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
    'footer="0.3"/></worksheet>'
)


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _escape(text: str) -> str:
    if _XML_ILLEGAL.search(text):
        text = _XML_ILLEGAL.sub(lambda m: "_x005F" if m[0] == "_" else f"_x{ord(m[0]):04X}_", text)
    return xml_escape(text)


def _shared_string(text: str) -> str:
    body = _escape(text)
    if text != text.strip() or "\n" in text:
        return f'<si><t xml:space="preserve">{body}</t></si>'
    return f"<si><t>{body}</t></si>"


def is_plain_number(text: str) -> bool:
    """A number cell gives ``text`` back exactly (caiji's reader prints numbers this way)."""
    if not _PLAIN_NUMBER.fullmatch(text) or text == "-0":
        return False
    digits = text.lstrip("-").replace(".", "").lstrip("0")
    return len(digits) <= 15


def join_multi(text: str) -> str:
    """Several values of one cell, joined with ";" (as the reader splits them)."""
    return ";".join(part.strip() for part in MULTI_SEPARATORS.split(text) if part.strip())


def _column_cells(
    letter: str,
    numbers: Sequence[str],
    values: Sequence[str],
    *,
    numeric: bool,
    strings: dict[str, int],
    plain: dict[str, bool],
    styles: tuple[int, int, int] = (S_TEXT, S_TEXT_QUOTED, S_NUMBER),
) -> list[str]:
    """The cells of one column, "" for an empty one (a whole column at a time: the loops stay
    in list comprehensions, with one dict lookup per value). ``styles`` are the style indexes
    of text, quoted text and number cells (a filled template has its own)."""
    index = strings.setdefault  # a new text gets the next index: the shared-string order
    s_text, s_quoted, s_number = styles
    if not numeric:
        return [
            (
                f'<c r="{letter}{n}" t="s" s="{s_text}"><v>{index(v, len(strings))}</v></c>'
                if v[0] not in FORMULA_CHARS
                else f'<c r="{letter}{n}" t="s" s="{s_quoted}"><v>{index(v, len(strings))}</v></c>'
            )
            if v
            else ""
            for n, v in zip(numbers, values, strict=True)
        ]
    cells = []
    for n, v in zip(numbers, values, strict=True):
        if not v:
            cells.append("")
            continue
        is_number = plain.get(v)
        if is_number is None:
            is_number = plain[v] = is_plain_number(v)
        if is_number:
            cells.append(f'<c r="{letter}{n}" s="{s_number}"><v>{v}</v></c>')
        else:
            style = s_quoted if v[0] in FORMULA_CHARS else s_text
            cells.append(
                f'<c r="{letter}{n}" t="s" s="{style}"><v>{index(v, len(strings))}</v></c>'
            )
    return cells


def table_xlsx(schema: TableSchema, rows: Sequence[Sequence[str]]) -> bytes:
    """The platform import file of one table: ``rows`` are stored values in ``schema``'s field
    order (empty string for an empty cell)."""
    fields = schema.fields
    letters = [column_letter(i) for i in range(len(fields))]
    strings: dict[str, int] = {}
    header = "".join(
        f'<c r="{letters[i]}1" t="s" s="{S_HEADER}"><v>{strings.setdefault(f.name, len(strings))}</v></c>'
        for i, f in enumerate(fields)
    )
    number = len(rows) + 1
    numbers = [str(n) for n in range(2, number + 1)]
    plain: dict[str, bool] = {}
    columns: list[list[str]] = []
    for i, (f, values) in enumerate(
        zip(fields, zip(*rows, strict=True) if rows else [()] * len(fields), strict=True)
    ):
        if f.multi:
            values = tuple(join_multi(v) if v else v for v in values)
        columns.append(
            _column_cells(
                letters[i], numbers, values, numeric=f.type in NUMERIC, strings=strings, plain=plain
            )
        )
    out = [f'<row r="1" ht="30" customHeight="1">{header}</row>']
    out += [
        f'<row r="{n}">{"".join(cells)}</row>'
        for n, cells in zip(numbers, zip(*columns, strict=True), strict=True)
    ]
    sst = list(strings)
    last = f"{letters[-1]}{number}" if fields else "A1"
    cols = "".join(
        f'<col min="{i + 1}" max="{i + 1}" width="{plan.width:g}" '
        f'style="{S_TEXT if plan.text else 0}" customWidth="1"/>'
        for i, plan in enumerate(column_plan(f) for f in fields)
    )
    sheet = [SHEET_HEAD.format(dimension=f"A1:{last}", cols=cols), *out, SHEET_TAIL]
    shared = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{len(sst)}" uniqueCount="{len(sst)}">',
        *map(_shared_string, sst),
        "</sst>",
    ]
    title = _escape(f"{schema.code} {schema.name}")
    parts = [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", ROOT_RELS),
        ("docProps/app.xml", APP),
        ("docProps/core.xml", CORE.format(title=title)),
        (
            "xl/workbook.xml",
            WORKBOOK.format(name=_escape(schema.sheet_name).replace('"', "&quot;")),
        ),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        ("xl/styles.xml", STYLES),
        ("xl/sharedStrings.xml", "".join(shared)),
        ("xl/worksheets/sheet1.xml", "".join(sheet)),
    ]
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as zf:
        for name, text in parts:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text.encode("utf-8"), compresslevel=COMPRESS_LEVEL)
    return output.getvalue()
