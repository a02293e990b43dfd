"""Cells of the workbooks caiji writes: text stays text and never becomes a formula.

A spreadsheet takes text that begins with ``= + - @`` for a formula, and OWASP's advice on
"CSV injection" adds a leading tab or carriage return. openpyxl (so tablib and
django-import-export) writes any string that begins with "=" as a formula; xlsxwriter's
``write()`` does the same and turns "http://…" into a link. caiji's workbooks hold names, notes,
reasons and cell values that users typed, so every writer puts its cells through here:

* text is always a text cell (``write_string``): never a formula, never an automatic link;
* formula-like text also gets Excel's *quote prefix* (the style a typed leading ' gives). The
  value itself is unchanged: the file reads back and imports again exactly as typed ("=见附件"
  stays "=见附件"), and Excel keeps the cell as text even when someone edits it and presses
  Enter. A visible apostrophe in the text would change the value, so none is added;
* numbers are number cells: a number is not a formula. The text "-5" gets the quote prefix and
  shows as -5 in a text cell.

Writers that put their sheet XML together themselves (``collection/excel/export.py``,
``collection/excel/annotate.py``) use ``looks_like_formula`` and ``TextCells.style_index``.

It lives in ``config`` because accounts, collection and review all write workbooks and the
plain core (``collection/excel``) may not import an app. django-import-export's own
``IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT`` stays off: it deletes the leading "=" (the value
changes, and an exported sheet no longer imports back the same), ignores + - @ and applies only
to the admin's export formats, not to ``Dataset.export("xlsx")``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from typing import Any

import tablib
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

FORMULA_STARTS = "=+-@\t\r"
MAX_TEXT = 32_767  # Excel's limit of characters in a cell
MAX_WIDTH = 60
_BAD_SHEET_TITLE = re.compile(r"[\[\]:*?/\\]")


def looks_like_formula(text: str) -> bool:
    """Text that a spreadsheet program could take for a formula."""
    return bool(text) and text[0] in FORMULA_STARTS


class TextCells:
    """Writes the cells of one xlsxwriter workbook: numbers as numbers, everything else as text,
    formula-like text with the quote prefix. A format given to ``write`` must come from
    ``format`` (or be None), so that its quoted twin can be made."""

    def __init__(self, book: Workbook) -> None:
        self.book = book
        self._properties: dict[int, dict[str, Any]] = {}
        self._quoted: dict[int, Format] = {}

    def format(self, properties: dict[str, Any]) -> Format:
        fmt = self.book.add_format(properties)
        self._properties[id(fmt)] = dict(properties)
        return fmt

    def quoted(self, fmt: Format | None) -> Format:
        """``fmt`` with the quote prefix (one per format, made when first needed)."""
        key = 0 if fmt is None else id(fmt)
        twin = self._quoted.get(key)
        if twin is None:
            if fmt is not None and key not in self._properties:
                raise ValueError("Create the formats of text cells with TextCells.format().")
            properties = self._properties.get(key, {})
            twin = self._quoted[key] = self.book.add_format({**properties, "quote_prefix": True})
        return twin

    def write(
        self, sheet: Worksheet, row: int, col: int, value: Any, fmt: Format | None = None
    ) -> None:
        """One cell; None and "" leave it empty."""
        if value is None or value == "":
            return
        if isinstance(value, int | float) and not isinstance(value, bool):
            sheet.write_number(row, col, value, fmt)
            return
        text = str(value)[:MAX_TEXT]
        sheet.write_string(row, col, text, self.quoted(fmt) if looks_like_formula(text) else fmt)

    def write_row(
        self, sheet: Worksheet, row: int, col: int, values: Iterable[Any], fmt: Format | None = None
    ) -> None:
        for offset, value in enumerate(values):
            self.write(sheet, row, col + offset, value, fmt)

    def style_index(self, fmt: Format | None, *, quoted: bool) -> int:
        """The style (xf) index of ``fmt`` or of its quoted twin, for sheet XML written by hand.
        xlsxwriter numbers a format when a cell first uses it; numbering it here makes the styles
        part list it even when no cell written through xlsxwriter does."""
        target = self.quoted(fmt) if quoted else fmt
        return 0 if target is None else int(target._get_xf_index())


# ---------------------------------------------------------------------------------------------
# django-import-export's sheets (units, people, 分工表)


class TextDataset(tablib.Dataset):  # type: ignore[misc]
    """A tablib Dataset whose .xlsx is written by ``dataset_xlsx``; other formats are tablib's."""

    def export(self, format: str, **kwargs: Any) -> Any:
        if format == "xlsx":
            return dataset_xlsx(self)
        return super().export(format, **kwargs)


class TextExport:
    """Mixin for a django-import-export resource: ``export()`` returns a TextDataset, so the
    views' ``data.export("xlsx")`` never writes a formula. tablib writes through openpyxl, which
    makes every string beginning with "=" a formula: a name like =HYPERLINK(…) would be live,
    and a note like "=见附件" would come back empty on import (a formula without a result)."""

    def export(self, *args: Any, **kwargs: Any) -> TextDataset:
        data = super().export(*args, **kwargs)  # type: ignore[misc]
        return TextDataset(*data, headers=data.headers, title=data.title)


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def dataset_xlsx(data: tablib.Dataset) -> bytes:
    """The dataset as one sheet as tablib lays it out (bold header row, frozen, a sheet named
    by its title, columns as wide as their text), every cell through ``TextCells``."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    cells = TextCells(book)
    title = _BAD_SHEET_TITLE.sub("-", data.title or "")[:31] or "Sheet1"
    sheet = book.add_worksheet(title)
    bold, wrap = cells.format({"bold": True}), cells.format({"text_wrap": True})
    headers = list(data.headers or [])
    widths = [_display_width(str(h)) for h in headers]
    cells.write_row(sheet, 0, 0, headers, bold)
    for r, row in enumerate(data, start=1):
        for c, value in enumerate(row):
            text = "" if value is None else str(value)
            cells.write(sheet, r, c, value, wrap if "\n" in text else None)
            longest = max((_display_width(line) for line in text.split("\n")), default=0)
            if c >= len(widths):
                widths.append(0)
            widths[c] = max(widths[c], longest)
    for c, width in enumerate(widths):
        sheet.set_column(c, c, min(width + 2, MAX_WIDTH))
    if headers:
        sheet.freeze_panes(1, 0)
    book.close()
    return out.getvalue()
