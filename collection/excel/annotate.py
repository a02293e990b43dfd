"""An annotated copy of an upload: its data rebuilt from the parsed rows at their original Excel
row numbers, every finding (and every remark of a return) as a coloured cell with a comment, and
a summary sheet first.

xlsxwriter writes the workbook (styles, comments, links, the summary), but not the data sheet's
cells: at about 12 µs a cell it needs ~5 s for a 50,000-row roster on a 2-core machine. Those
cells are plain text with at most a fill, so they are written here as ``<sheetData>`` XML
(~1 µs a cell) and swapped into xlsxwriter's output.

Values are the user's: text that looks like a formula ("=cmd()", "+1", "@SUM(A1)") is a text cell
with Excel's quote prefix on both sheets, so it reads back as typed and never runs
(``config.xlsx``).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.workbook import Format
from xlsxwriter.worksheet import Worksheet

from collection.schema import Finding, ParsedSheet, Severity
from config.xlsx import FORMULA_STARTS, TextCells, looks_like_formula

# The annotated file is a document handed to collectors next to the platform's own files, so its
# labels are always Chinese, whatever language the web UI is in: kept here, not in the .po file.
TEXT = {
    "summary_sheet": "校验结果",
    "title": "{code} {name} 校验结果",
    "count": "条",
}
COLUMNS = ("行", "列", "列名", "值", "级别", "说明")
REMARK = "remark"  # a reviewer's remark given with a return, marked like a finding
SEVERITY_LABELS = {Severity.ERROR: "错误", Severity.EXPLAIN: "需说明", Severity.HINT: "提示"}
LABELS: dict[str, str] = {**{str(k): v for k, v in SEVERITY_LABELS.items()}, REMARK: "退回意见"}
FILLS: dict[str, str] = {
    Severity.ERROR: "#FFC7CE",
    Severity.EXPLAIN: "#FFEB9C",
    Severity.HINT: "#DDEBF7",
    REMARK: "#E4DFEC",
}
RANK: dict[str, int] = {REMARK: -1, Severity.ERROR: 0, Severity.EXPLAIN: 1, Severity.HINT: 2}
MAX_LINKS = 65_530  # Excel's limit of hyperlinks per worksheet
MAX_TEXT = 32_767  # Excel's limit of characters in a cell or a comment
SUMMARY_FIRST_ROW = 7  # zero-based row of the first finding on the summary sheet
BAD_SHEET_NAME = re.compile(r"[\[\]:*?/\\]|^'|'$")
# Text that cannot go into <t> as it is: XML specials, control characters (Excel's _xHHHH_
# escape, and a literal "_xHHHH_" that Excel would decode), lone surrogates, edge whitespace.
NEEDS_ESCAPE = re.compile(
    r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]|_x[0-9A-Fa-f]{4}_|^\s|\s$"
)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Remark:
    """A reviewer's remark on a cell (or on a whole row when ``column`` is empty)."""

    row: int | None  # Excel row number in the uploaded file
    column: str  # header text
    text: str
    author: str = ""


@dataclass(frozen=True)
class _Note:
    kind: str  # a Severity or REMARK
    message: str


Marks = dict[int, dict[int, list[_Note]]]  # Excel row -> column index -> notes


def annotate(sheet: ParsedSheet, findings: list[Finding], remarks: Sequence[Remark] = ()) -> bytes:
    """The upload as .xlsx with its findings and remarks marked, never re-reading the user's
    file."""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    cells = TextCells(workbook)
    summary = workbook.add_worksheet(TEXT["summary_sheet"])
    data_name = _data_sheet_name(sheet)
    data = workbook.add_worksheet(data_name)
    header = cells.format({"bold": True, "bg_color": "#D9D9D9", "border": 1})
    fills = {kind: cells.format({"bg_color": color}) for kind, color in FILLS.items()}
    marks = _marks(sheet, findings, remarks)
    _write_summary(cells, summary, sheet, findings, remarks, data_name, header, fills)
    _prepare_data_sheet(data, sheet, marks)
    # The data sheet's XML needs the style indexes of these formats and of their quoted twins:
    # numbered before close(), so that the styles part lists them all.
    styles = {kind: cells.style_index(fill, quoted=False) for kind, fill in fills.items()}
    base = [None, header, *fills.values()]
    quoted = {cells.style_index(f, quoted=False): cells.style_index(f, quoted=True) for f in base}
    workbook.close()
    rows = _sheet_rows(sheet, marks, cells.style_index(header, quoted=False), styles, quoted)
    last = max([sheet.header_row, *sheet.row_numbers, *marks])
    dimension = f"A1:{xl_rowcol_to_cell(last - 1, max(len(sheet.schema.headers), 1) - 1)}"
    return _with_sheet_data(output.getvalue(), "xl/worksheets/sheet2.xml", rows, dimension)


def _marks(sheet: ParsedSheet, findings: list[Finding], remarks: Sequence[Remark]) -> Marks:
    index = {name: i for i, name in enumerate(sheet.schema.headers)}
    marks: Marks = defaultdict(lambda: defaultdict(list))
    for remark in remarks:
        if remark.row is not None:
            marks[remark.row][index.get(remark.column, 0)].append(
                _Note(REMARK, _remark_text(remark))
            )
    for finding in findings:
        if finding.row is not None:
            marks[finding.row][index.get(finding.column or "", 0)].append(
                _Note(finding.severity, finding.message)
            )
    return marks


def _remark_text(remark: Remark) -> str:
    return f"{remark.text}（{remark.author}）" if remark.author else remark.text


def _prepare_data_sheet(ws: Worksheet, sheet: ParsedSheet, marks: Marks) -> None:
    for col, name in enumerate(sheet.schema.headers):
        ws.set_column(col, col, min(max(len(name) * 2, 10), 40))
    ws.freeze_panes(sheet.header_row, 0)
    for row, columns in marks.items():
        for col, found in columns.items():
            text = "\n".join(
                f"【{LABELS[n.kind]}】{n.message}"
                for n in sorted(found, key=lambda n: RANK[n.kind])
            )
            lines = sum(len(line) // 20 + 1 for line in text.split("\n"))
            box = {"width": 300, "height": min(20 + 16 * lines, 400)}
            ws.write_comment(row - 1, col, text[:MAX_TEXT], box)


def _sheet_rows(
    sheet: ParsedSheet,
    marks: Marks,
    header: int,
    styles: dict[str, int],
    quoted: dict[int, int],
) -> Iterator[str]:
    """The data sheet's rows as XML: every value an inline string, so text such as "=cmd()"
    stays text and never becomes a formula; such text also gets the quoted twin of its style
    (``quoted``: style index -> the same with the quote prefix)."""
    width = max([len(sheet.schema.headers), *map(len, sheet.rows)])
    letters = [xl_col_to_name(i) for i in range(width)]
    rows = dict(zip(sheet.row_numbers, sheet.rows, strict=True))
    rows[sheet.header_row] = sheet.schema.headers
    search = NEEDS_ESCAPE.search
    prefix = f' s="{quoted[0]}"'
    for n in sorted(rows.keys() | marks.keys()):
        values = rows.get(n, [])
        if n in marks or n == sheet.header_row:
            base = header if n == sheet.header_row else 0
            yield _styled_row(n, values, letters, marks.get(n, {}), base, styles, quoted)
            continue
        cells = "".join(
            f'<c r="{letters[c]}{n}"{prefix if v[0] in FORMULA_STARTS else ""} t="inlineStr"><is>'
            f"{_text(v) if len(v) > MAX_TEXT or search(v) else f'<t>{v}</t>'}</is></c>"
            for c, v in enumerate(values)
            if v
        )
        yield f'<row r="{n}">{cells}</row>'


def _styled_row(
    n: int,
    values: list[str],
    letters: list[str],
    marked: dict[int, list[_Note]],
    base: int,
    styles: dict[str, int],
    quoted: dict[int, int],
) -> str:
    worst = {c: min((n.kind for n in ns), key=RANK.__getitem__) for c, ns in marked.items()}
    parts = []
    for c in range(max(len(values), max(worst, default=-1) + 1)):
        value = values[c] if c < len(values) else ""
        style = styles[worst[c]] if c in worst else base
        if looks_like_formula(value):
            style = quoted[style]
        s = f' s="{style}"' if style else ""
        if value:
            text = _text(value) if NEEDS_ESCAPE.search(value) else f"<t>{value[:MAX_TEXT]}</t>"
            parts.append(f'<c r="{letters[c]}{n}"{s} t="inlineStr"><is>{text}</is></c>')
        elif style:
            parts.append(f'<c r="{letters[c]}{n}"{s}/>')
    return f'<row r="{n}">{"".join(parts)}</row>'


def _text(value: str) -> str:
    value = value[:MAX_TEXT].encode("utf-8", "replace").decode("utf-8")
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = re.sub(r"(_x[0-9A-Fa-f]{4}_)", r"_x005F\1", value)
    value = CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    space = ' xml:space="preserve"' if value != value.strip() else ""
    return f"<t{space}>{value}</t>"


def _with_sheet_data(xlsx: bytes, member: str, rows: Iterator[str], dimension: str) -> bytes:
    """Copy the workbook, putting ``rows`` in place of the (cell-less) sheetData of ``member``."""
    output = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx)) as source,
        zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target,
    ):
        for info in source.infolist():
            data = source.read(info)
            if info.filename == member:
                xml = data.decode("utf-8")
                start = xml.index("<sheetData")
                end = xml.index("</sheetData>") + 12 if "</sheetData>" in xml else start + 12
                head = re.sub(
                    r'<dimension ref="[^"]*"/>', f'<dimension ref="{dimension}"/>', xml[:start]
                )
                with target.open(info.filename, "w") as out:
                    out.write(f"{head}<sheetData>".encode())
                    chunk: list[str] = []
                    for row in rows:
                        chunk.append(row)
                        if len(chunk) == 1000:  # one write per 1,000 rows: zipfile is slow per call
                            out.write("".join(chunk).encode("utf-8"))
                            chunk.clear()
                    out.write("".join(chunk).encode("utf-8"))
                    out.write(f"</sheetData>{xml[end:]}".encode())
            else:
                target.writestr(info.filename, data)
    return output.getvalue()


def _write_summary(
    cells: TextCells,
    ws: Worksheet,
    sheet: ParsedSheet,
    findings: list[Finding],
    remarks: Sequence[Remark],
    data_name: str,
    header: Format,
    fills: dict[str, Format],
) -> None:
    schema = sheet.schema
    bold = cells.format({"bold": True})
    link = cells.format({"font_color": "blue", "underline": 1})
    cells.write(ws, 0, 0, TEXT["title"].format(code=schema.code, name=schema.name), bold)
    counts = Counter(f.severity for f in findings)
    for r, severity in enumerate(Severity, start=2):
        ws.write_string(r, 0, SEVERITY_LABELS[severity], fills[severity])
        ws.write_number(r, 1, counts[severity])
        ws.write_string(r, 2, TEXT["count"])
    if remarks:
        ws.write_string(5, 0, LABELS[REMARK], fills[REMARK])
        ws.write_number(5, 1, len(remarks))
        ws.write_string(5, 2, TEXT["count"])
    cells.write_row(ws, SUMMARY_FIRST_ROW - 1, 0, COLUMNS, header)
    for first, last, width in ((0, 1, 8), (2, 3, 20), (4, 4, 8), (5, 5, 80)):
        ws.set_column(first, last, width)
    ws.freeze_panes(SUMMARY_FIRST_ROW, 0)
    index = {name: i for i, name in enumerate(schema.headers)}
    entries = [*_remark_entries(sheet, remarks), *findings]
    ordered = sorted(entries, key=lambda f: (f.row or 0, index.get(f.column or "", -1)))
    quoted = data_name.replace("'", "''")
    for r, f in enumerate(ordered, start=SUMMARY_FIRST_ROW):
        if f.row is not None:
            col = index.get(f.column or "", 0)
            if r - SUMMARY_FIRST_ROW < MAX_LINKS:
                cell = xl_rowcol_to_cell(f.row - 1, col)
                ws.write_url(r, 0, f"internal:'{quoted}'!{cell}", link, str(f.row))
                # The documented way to give a link a number: overwrite the cell after write_url.
                ws.write_number(r, 0, f.row, link)
            else:
                ws.write_number(r, 0, f.row)
            ws.write_string(r, 1, f.column_letter or xl_col_to_name(col))
        # Through TextCells: a value such as "=cmd()" stays text, never a formula.
        cells.write(ws, r, 2, f.column)
        cells.write(ws, r, 3, f.value)
        kind = f.rule if f.rule == REMARK else f.severity
        ws.write_string(r, 4, LABELS[kind], fills[kind])
        cells.write(ws, r, 5, f.message)


def _remark_entries(sheet: ParsedSheet, remarks: Sequence[Remark]) -> list[Finding]:
    """Remarks as summary lines (rule ``REMARK``), with the value of the cell they point at."""
    if not remarks:
        return []
    position = {n: i for i, n in enumerate(sheet.row_numbers)}
    index = {name: i for i, name in enumerate(sheet.schema.headers)}
    entries = []
    for remark in remarks:
        i, c = position.get(remark.row or 0), index.get(remark.column)
        row = sheet.rows[i] if i is not None else []
        value = row[c] if c is not None and c < len(row) else None
        entries.append(
            Finding(
                Severity.HINT,
                _remark_text(remark),
                row=remark.row,
                column=remark.column or None,
                column_letter=sheet.column_letters.get(remark.column),
                value=value,
                rule=REMARK,
            )
        )
    return entries


def _data_sheet_name(sheet: ParsedSheet) -> str:
    """The user's sheet name when Excel accepts it, so the copy looks like their file."""
    name = sheet.sheet_name
    if not name or len(name) > 31 or BAD_SHEET_NAME.search(name):
        return sheet.schema.sheet_name
    if name.casefold() == TEXT["summary_sheet"].casefold():
        return sheet.schema.sheet_name
    return name
