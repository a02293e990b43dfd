"""What calamine does not tell about a sheet, noted while ``safety`` scans it anyway.

calamine reads a cell holding an Excel error (#N/A from a failed VLOOKUP, #DIV/0! …) and a
formula that was never calculated (a file written by a program and never opened in Excel) as
empty, and it does not say which rows Excel hides. Left at that, a required cell gets a
confusing "is required but empty" and an optional one is stored empty without a word. The
sheet scans of ``sheetscan`` (.xlsx) and ``ole`` (.xls) feed these notes; the reader turns the
ones in the data area into findings.

The XML notes cost three one-byte searches per piece of a plain roster (about 2 ms for 50,000
rows); only a piece that may hold an error value, a formula or a hidden row is searched further.
Cells of the unusual spellings that only the tolerant tokenizer reads (prefixed tags, single
quotes …) may go unnoted: they are still read, only without the finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_NOTED = 10_000  # per kind and sheet: plenty to report, and bounded for a hostile file

# BIFF8 error codes (also the values Excel writes into <v> of a t="e" cell)
BIFF_ERRORS = {
    0x00: "#NULL!",
    0x07: "#DIV/0!",
    0x0F: "#VALUE!",
    0x17: "#REF!",
    0x1D: "#NAME?",
    0x24: "#NUM!",
    0x2A: "#N/A",
    0x2B: "#GETTING_DATA",
}
# What Excel shows for an error, also when a CSV export or a pasted value holds it as text.
ERROR_TEXTS = frozenset({*BIFF_ERRORS.values(), "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!"})


@dataclass
class SheetNotes:
    """Cells and rows of one sheet, 1-based like Excel."""

    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, column) → "#N/A"
    uncomputed: set[tuple[int, int]] = field(default_factory=set)  # formula without a result
    hidden_rows: set[int] = field(default_factory=set)
    merged_ranges: int = 0  # how many; calamine gives the ranges themselves

    def add_error(self, row: int, column: int, code: str) -> None:
        if len(self.errors) < MAX_NOTED:
            self.errors[(row, column)] = code

    def add_uncomputed(self, row: int, column: int) -> None:
        if len(self.uncomputed) < MAX_NOTED:
            self.uncomputed.add((row, column))

    def add_hidden_row(self, row: int) -> None:
        if len(self.hidden_rows) < MAX_NOTED:
            self.hidden_rows.add(row)


# A cell holding only a formula, with no <v> or an empty "<v />".
_FORMULA_CELL = re.compile(
    rb"<c\s([^>]*[^>/])>\s*<f\b[^>]*?(?:/>|>[^<]*</f>)\s*(?:<v\s*/>\s*)?</c>"
)
_HIDDEN_ROW = re.compile(rb"<row\s([^>]*?\bhidden=[\"'](?:1|true)[\"'][^>]*)>")
_CELL_REF = re.compile(rb"(?:^|\s)r=[\"']\$?([A-Za-z]{1,3})\$?([0-9]{1,7})[\"']")
_ROW_REF = re.compile(rb"(?:^|\s)r=[\"']([0-9]{1,7})[\"']")
_VALUE = re.compile(rb"<v>([^<]{1,32})</v>")
# How a formula cell without a result ends (openpyxl writes "<v />"); a cell with one has
# "</f><v>…</v></c>", and an empty text result "<v></v>" is a result.
_NO_RESULT = (b"</f></c>", b"<v />", b"<v/>")
_MERGE = re.compile(rb"mergeCell\s")  # <mergeCell ref="…"/>, prefixed or not; not <mergeCells
_OVERLAP = 4096  # bytes of the previous piece kept, for a cell cut between two pieces


class XmlNotes:
    """Fed with the pieces of a worksheet's XML (each ends on a tag boundary)."""

    def __init__(self) -> None:
        self.notes = SheetNotes()
        self._tail = b""

    def feed(self, piece: bytes) -> None:
        # A one-byte test first (memchr): "#" (an error value), "f" (a formula), "h" (a hidden
        # row) and "g" (a merged range) are rare in the cells of a sheet, and a longer search costs ten times as
        # much. The previous piece's tail completes a cell cut between the two pieces (a piece
        # never cuts a tag), so a marker in that tail counts too.
        tail, self._tail = self._tail, piece[-_OVERLAP:]
        if b"g" in piece and b"mergeCell" in piece:  # no tag is cut, so none is counted twice
            self.notes.merged_ranges += len(_MERGE.findall(piece))
        errors = b"#" in piece or b"#" in tail
        formulas = b"f" in piece or b"f" in tail
        hidden = b"h" in piece and b"hidden=" in piece and len(self.notes.hidden_rows) < MAX_NOTED
        if not (errors or formulas or hidden):
            return
        buffer = tail + piece
        if errors:
            self._errors(buffer)
        if formulas and b"<f" in buffer and any(m in buffer for m in _NO_RESULT):
            self._formulas(buffer)
        if hidden:
            self._hidden(buffer)

    def _errors(self, buffer: bytes) -> None:
        # From each t="e" back to its cell's start and on to its end: error cells are few, and
        # a regular expression over every cell of the piece costs ten times as much.
        for marker in (b't="e"', b"t='e'"):
            at = buffer.find(marker)
            while at >= 0:
                self._error_at(buffer, at)
                at = buffer.find(marker, at + 1)

    def _error_at(self, buffer: bytes, at: int) -> None:
        start = buffer.rfind(b"<c", 0, at)
        close = buffer.find(b">", at)
        if start < 0 or close < 0 or not buffer[start + 2 : start + 3].isspace():
            return
        attributes = buffer[start + 3 : close]
        where = _cell(attributes)
        if where is None or b">" in attributes or b"<" in attributes:
            return  # the marker is not inside a cell's start tag
        end = buffer.find(b"</c>", close)
        following = buffer.find(b"<c", close)
        if end < 0 and not attributes.endswith(b"/"):
            return  # cut: the next piece completes it
        if attributes.endswith(b"/") or (0 <= following < end):
            code = "#N/A"  # an error cell without its value
        else:
            value = _VALUE.search(buffer, close, end)
            code = value.group(1).decode("ascii", "replace") if value else "#N/A"
        self.notes.add_error(*where, code)

    def _formulas(self, buffer: bytes) -> None:
        for match in _FORMULA_CELL.finditer(buffer):
            where = _cell(match.group(1))
            if where is not None:
                self.notes.add_uncomputed(*where)

    def _hidden(self, buffer: bytes) -> None:
        for match in _HIDDEN_ROW.finditer(buffer):
            row = _ROW_REF.search(match.group(1))
            if row is not None:
                self.notes.add_hidden_row(int(row.group(1)))


def _cell(attributes: bytes) -> tuple[int, int] | None:
    match = _CELL_REF.search(attributes)
    if match is None:
        return None
    column = 0
    for char in match.group(1).upper():
        column = column * 26 + char - 64
    return int(match.group(2)), column
