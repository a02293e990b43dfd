"""Fill an .xlsx template by editing its sheet XML (see ``collection.excel.templatefill``).

Every part of the template is copied as it is, except three: the filled sheet (new rows in its
``sheetData`` and its ``dimension``), the shared strings (the data's texts appended) and the
styles (a text and a quoted-text twin of each data column's style appended). Other sheets,
hidden list sheets, data validations, merged cells, column widths, frozen panes, defined names
and every existing style stay byte for byte. A template without a shared-string part (openpyxl
writes inline strings) gets one.

Why by hand: openpyxl would load and rewrite the whole workbook (and drop what it does not know,
such as some extensions); the sheet XML needs rows inserted at one place, which streams at the
speed of ``collection.excel.export``.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Sequence

import defusedxml.ElementTree as ET

from collection.excel.export import (
    COMPRESS_LEVEL,
    STYLES,
    _column_cells,
    _shared_string,
    column_letter,
)
from collection.excel.templatefill import FillColumn, TemplateError, TemplateSource, no_sheet

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_DOC = f"{REL}/officeDocument"
SST_TYPE = f"{REL}/sharedStrings"
STYLES_TYPE = f"{REL}/styles"
SST_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
STYLES_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
TEXT_FORMAT = "49"  # the built-in "@" number format

_ATTR_R = re.compile(r'\sr="(\d+)"')
_VALUE = re.compile(r"<(?:\w+:)?(?:v|is|f)[\s>/]")
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")


def _letters_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


class _Package:
    """The template's parts by name, and where the workbook's parts are."""

    def __init__(self, content: bytes) -> None:
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as zin:
                self.infos = zin.infolist()
                self.parts = {i.filename: zin.read(i) for i in self.infos}
        except (zipfile.BadZipFile, KeyError, OSError) as exc:
            raise TemplateError(f".xlsx 模板无法读取：{exc}") from exc
        self.changed: dict[str, bytes] = {}
        root = self._rels("_rels/.rels", "")
        self.workbook = next((t for t, kind in root.values() if kind == OFFICE_DOC), "")
        if self.workbook not in self.parts:
            raise TemplateError("no workbook part")
        folder = posixpath.dirname(self.workbook)
        self.rels_path = f"{folder}/_rels/{posixpath.basename(self.workbook)}.rels"
        self.rels = self._rels(self.rels_path, folder)

    def _rels(self, path: str, folder: str) -> dict[str, tuple[str, str]]:
        if path not in self.parts:
            return {}
        found = {}
        for rel in ET.fromstring(self.parts[path]).iter(f"{{{PKG_REL}}}Relationship"):
            target = rel.get("Target", "")
            target = target[1:] if target.startswith("/") else posixpath.join(folder, target)
            found[rel.get("Id", "")] = (posixpath.normpath(target), rel.get("Type", ""))
        return found

    def sheet_part(self, name: str) -> str:
        book = ET.fromstring(self.parts[self.workbook])
        for sheet in book.iter(f"{{{MAIN}}}sheet"):
            if sheet.get("name") == name:
                target, _kind = self.rels.get(sheet.get(f"{{{REL}}}id", ""), ("", ""))
                if target in self.parts:
                    return target
        raise no_sheet(name)

    def part_of_type(self, kind: str) -> str | None:
        return next((t for t, k in self.rels.values() if k == kind and t in self.parts), None)

    def text(self, name: str) -> str:
        return (self.changed.get(name) or self.parts[name]).decode("utf-8")

    def add_part(self, name: str, kind: str, content_type: str, text: str) -> None:
        """A new part of the workbook: its relationship and its content type."""
        n = 1
        while f"rId{n}" in self.rels:
            n += 1
        target = posixpath.relpath(name, posixpath.dirname(self.workbook))
        if self.rels_path not in self.parts or "</Relationships>" not in self.text(self.rels_path):
            raise TemplateError("the workbook's relationships cannot take a new part")
        if "</Types>" not in self.text("[Content_Types].xml"):
            raise TemplateError("the content types cannot take a new part")
        rels = self.text(self.rels_path).replace(
            "</Relationships>",
            f'<Relationship Id="rId{n}" Type="{kind}" Target="{target}"/></Relationships>',
        )
        self.rels[f"rId{n}"] = (name, kind)
        self.changed[self.rels_path] = rels.encode()
        types = self.text("[Content_Types].xml").replace(
            "</Types>", f'<Override PartName="/{name}" ContentType="{content_type}"/></Types>'
        )
        self.changed["[Content_Types].xml"] = types.encode()
        self.changed[name] = text.encode()

    def write(self) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as zf:
            names = [i.filename for i in self.infos]
            for info in self.infos:
                if info.filename in self.changed:
                    copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                    copy.compress_type = zipfile.ZIP_DEFLATED
                    zf.writestr(copy, self.changed[info.filename], compresslevel=COMPRESS_LEVEL)
                else:
                    zf.writestr(info, self.parts[info.filename])
            for name, data in self.changed.items():
                if name not in names:
                    info = zipfile.ZipInfo(name, date_time=self.infos[0].date_time)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    zf.writestr(info, data, compresslevel=COMPRESS_LEVEL)
        return out.getvalue()


def _set_attrs(tag: str, **attrs: str | None) -> str:
    """An element's opening tag with attributes set (None removes one)."""
    for name, value in attrs.items():
        tag = re.sub(rf'\s{name}="[^"]*"', "", tag)
        if value is not None:
            end = len(tag) - (2 if tag.endswith("/>") else 1)
            tag = f'{tag[:end]} {name}="{value}"{tag[end:]}'
    return tag


def _styles(package: _Package, bases: set[int]) -> dict[int, tuple[int, int, int]]:
    """Per base style: the (text, quoted text, number) style indexes of the data cells."""
    path = package.part_of_type(STYLES_TYPE)
    if path is None:  # no styles at all: caiji's own (text 2, quoted 3, number 4)
        name = posixpath.join(posixpath.dirname(package.workbook), "styles.xml")
        package.add_part(name, STYLES_TYPE, STYLES_CONTENT, STYLES)
        return dict.fromkeys(bases, (2, 3, 4))
    text = package.text(path)
    m = re.search(r"<(\w+:|)cellXfs\b[^>]*>(.*?)</\1cellXfs>", text, re.S)
    if m is None:
        raise TemplateError("no cell formats in the styles")
    p = m.group(1) or ""
    xfs = re.findall(rf"<{p}xf\b[^>]*?(?:/>|>.*?</{p}xf>)", m.group(2), re.S)
    added: list[str] = []
    found = {}
    for base in sorted(bases):
        xf = xfs[base] if base < len(xfs) else xfs[0]
        head = re.match(r"<[^>]*?/?>", xf)
        assert head is not None
        opening, rest = head.group(0), xf[head.end() :]
        as_text = _set_attrs(opening, numFmtId=TEXT_FORMAT, applyNumberFormat="1", quotePrefix=None)
        quoted = _set_attrs(as_text, quotePrefix="1")
        found[base] = (len(xfs) + len(added), len(xfs) + len(added) + 1, base)
        added += [as_text + rest, quoted + rest]
    count = len(xfs) + len(added)
    opening = _set_attrs(text[m.start() : text.index(">", m.start()) + 1], count=str(count))
    body = m.group(2) + "".join(added)
    closing = f"</{p}cellXfs>"
    package.changed[path] = (
        text[: m.start()] + opening + body + closing + text[m.end() :]
    ).encode()
    return found


def _column_styles(sheet: str) -> dict[int, int]:
    """Column index → its default style (``<col style>``)."""
    styles = {}
    for col in re.finditer(r"<(?:\w+:)?col\b([^>]*)/?>", sheet):
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', col.group(1)))
        if "style" in attrs and "min" in attrs and "max" in attrs:
            for i in range(int(attrs["min"]) - 1, min(int(attrs["max"]), 16_384)):
                styles[i] = int(attrs["style"])
    return styles


def _split_rows(
    rows_xml: str, p: str, header_row: int, last_data_row: int
) -> tuple[list[str], list[str], int]:
    """The template's rows above the data (title rows, header) and below it (empty styled rows
    kept), and how many rows with values the data replace."""
    above, below, replaced = [], [], 0
    number = 0
    for m in re.finditer(rf"<{p}row\b[^>]*?(?:/>|>.*?</{p}row>)", rows_xml, re.S):
        row = m.group(0)
        r = _ATTR_R.search(row[: row.index(">")])
        number = int(r.group(1)) if r else number + 1
        if number <= header_row:
            above.append(row)
        elif number > last_data_row and not _VALUE.search(row):
            below.append(row)
        elif _VALUE.search(row):
            replaced += 1
    return above, below, replaced


def _dimension(sheet: str, last_column: int, last_row: int) -> str:
    m = re.search(r'(<(?:\w+:)?dimension\b[^>]*\sref=")([^"]*)(")', sheet)
    if m is None:
        return sheet
    refs = _CELL_REF.findall(m.group(2))
    first = f"{refs[0][0]}{refs[0][1]}" if refs else "A1"
    end_col = max([last_column] + [_letters_index(c) for c, _r in refs])
    end_row = max([last_row] + [int(r) for _c, r in refs])
    ref = f"{first}:{column_letter(end_col)}{end_row}"
    return sheet[: m.start()] + m.group(1) + ref + m.group(3) + sheet[m.end() :]


def _shared_strings(package: _Package) -> tuple[str | None, str, int]:
    """The shared-string part, its text and how many strings it holds."""
    path = package.part_of_type(SST_TYPE)
    if path is None:
        return None, "", 0
    text = package.text(path)
    return path, text, len(re.findall(r"<(?:\w+:)?si[\s>/]", text))


def _append_strings(
    package: _Package, path: str | None, text: str, new: list[str], refs: int
) -> None:
    body = "".join(map(_shared_string, new))
    if path is None:
        name = posixpath.join(posixpath.dirname(package.workbook), "sharedStrings.xml")
        sst = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<sst xmlns="{MAIN}" count="{refs}" uniqueCount="{len(new)}">{body}</sst>'
        )
        package.add_part(name, SST_TYPE, SST_CONTENT, sst)
        return
    m = re.search(r"<(\w+:)?sst\b[^>]*?(/?)>", text)
    if m is None:
        raise TemplateError("damaged shared strings")
    p = m.group(1) or ""
    if p:
        body = body.replace("<si>", f"<{p}si>").replace("</si>", f"</{p}si>")
        body = re.sub(r"<(/?)t\b", rf"<\1{p}t", body)
    old = dict(re.findall(r'(\w+)="([^"]*)"', m.group(0)))
    unique = len(re.findall(r"<(?:\w+:)?si[\s>/]", text)) + len(new)
    opening = _set_attrs(
        m.group(0).replace("/>", ">") if m.group(2) else m.group(0),
        count=str(int(old.get("count", "0") or 0) + refs),
        uniqueCount=str(unique),
    )
    if m.group(2):  # <sst …/>: no strings yet
        text = text[: m.start()] + opening + body + f"</{p}sst>" + text[m.end() :]
    else:
        end = text.rindex(f"</{p}sst>")
        text = text[: m.start()] + opening + text[m.end() : end] + body + text[end:]
    package.changed[path] = text.encode()


def fill(source: TemplateSource, columns: Sequence[FillColumn], count: int) -> tuple[bytes, int]:
    """The filled workbook, and how many template rows with values the data replaced."""
    package = _Package(source.content)
    sheet_path = package.sheet_part(source.sheet_name)
    sheet = package.text(sheet_path)
    m = re.search(r"<(\w+:)?sheetData\b[^>]*?(/?)>", sheet)
    if m is None:
        raise TemplateError("no sheetData in the sheet")
    p = m.group(1) or ""
    if m.group(2):
        head, rows_xml, tail = sheet[: m.start()] + f"<{p}sheetData>", "", f"</{p}sheetData>"
        tail += sheet[m.end() :]
    else:
        end = sheet.index(f"</{p}sheetData>", m.end())
        head, rows_xml, tail = sheet[: m.end()], sheet[m.end() : end], sheet[end:]
    first = source.header_row + 1
    last = source.header_row + count
    above, below, replaced = _split_rows(rows_xml, p, source.header_row, last)
    col_styles = _column_styles(sheet[: m.start()])
    styles = _styles(package, {col_styles.get(c.index, 0) for c in columns})
    sst_path, sst_text, existing = _shared_strings(package)
    strings: dict[object, int] = {("template", i): i for i in range(existing)}
    numbers = [str(n) for n in range(first, last + 1)]
    plain: dict[str, bool] = {}
    cells = [
        _column_cells(
            column_letter(c.index),
            numbers,
            c.values,
            numeric=c.numeric,
            strings=strings,  # type: ignore[arg-type]
            plain=plain,
            styles=styles[col_styles.get(c.index, 0)],
        )
        for c in columns
        if c.matched
    ]
    data = [
        f'<row r="{n}">{"".join(row)}</row>'
        for n, row in zip(numbers, zip(*cells, strict=True) if cells else (), strict=False)
    ]
    data_xml = "".join(data)
    if p:
        data_xml = re.sub(r"<(/?)(row|c|v)\b", rf"<\1{p}\2", data_xml)
    new = [s for s in strings if isinstance(s, str)]
    _append_strings(package, sst_path, sst_text, new, data_xml.count('t="s"'))
    last_column = max((c.index for c in columns), default=0)
    head = _dimension(head, last_column, max(last, source.header_row))
    package.changed[sheet_path] = "".join([head, *above, data_xml, *below, tail]).encode()
    return package.write(), replaced
