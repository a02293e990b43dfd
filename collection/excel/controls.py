"""Control characters in cell text: removed from the value read, and reported per cell.

calamine decodes Excel's escape ``_x0000_`` (``_x001B_`` …) into the character itself, as Excel
does (``_x005F_x0000_`` is the escaped text "_x0000_" and stays text), and reads a literal
control character in the sheet XML or in an .xls string as it is; a CSV can hold them too. None
of them shows in Excel, no person types one (they come from other systems' exports, barcode
scanners, terminals), and a NUL cannot be stored at all: PostgreSQL refuses it in text and in
JSON. So each is removed from the value read (``normalize.CONTROL``, the set that
``config.input`` refuses in a request), and the cell gets the error ``control_char`` naming it,
so that the collector retypes the cell and the file says what the data says.

Tab, line feed and carriage return are ordinary in free text (a remark of several lines). An
identifier (学号, 工号, 专业代码 …) is one line: a line break or tab inside it is the error
``line_break_in_id`` (the value is kept as read); at its ends they are trimmed like spaces.

Cost: one join and one test per column (about 2.5 ms per 50,000 cells); only a column where
the test finds something is looked at cell by cell.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import cast

from django.utils.translation import gettext as _

from collection.excel import messages as msg
from collection.excel.normalize import (
    CONTROL,
    CONTROL_CHARS,
    column_normalizer,
    drop_controls,
    is_identifier,
)
from collection.excel.sheetscan import column_letter
from collection.schema import FieldSchema, FieldType, Finding, Severity

_LINES = re.compile(r"[\t\n\r]")
_SUSPECT_IN_ID = re.compile(f"[{CONTROL_CHARS}\\t\\n\\r]")
_NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "BS", 0x0B: "VT", 0x0C: "FF", 0x1B: "ESC", 0x7F: "DEL"}
_NAMES_SHOWN = 3


def is_single_line(spec: FieldSchema) -> bool:
    """Text identifiers: a line break or tab inside one is a mistake. (Typed fields and codes
    report such a value anyway, a multi-value field takes a line break as a separator, and the
    url / mobile / email formats refuse whitespace.)"""
    return (
        spec.type is FieldType.TEXT
        and not spec.multi
        and spec.format is None
        and is_identifier(spec)
    )


def char_names(text: str) -> str:
    """The control characters of ``text`` as a reader can name them: "NUL", "ESC", "U+0001"."""
    found = dict.fromkeys(CONTROL.findall(text))
    names = [_NAMES.get(ord(c), f"U+{ord(c):04X}") for c in found]
    return "、".join(names[:_NAMES_SHOWN]) + ("…" if len(names) > _NAMES_SHOWN else "")


def clean_columns(
    fields: Sequence[FieldSchema],
    positions: dict[str, int],
    grid_columns: Sequence[Sequence[object]],
    columns: list[list[str]],
    first_row: int,
    *,
    date1904: bool = False,
) -> list[Finding]:
    """``clean_column`` for each of ``fields`` found in the sheet: ``positions`` maps a field to
    its grid column in ``grid_columns`` (the cells as read), ``columns`` holds the normalised
    values, one list per field."""
    found = []
    for spec, values in zip(fields, columns, strict=True):
        position = positions.get(spec.name)
        if position is not None and grid_columns:
            found += clean_column(
                grid_columns[position],
                values,
                spec,
                letter=column_letter(position + 1),
                first_row=first_row,
                date1904=date1904,
            )
    return found


def clean_column(
    raw: Sequence[object],
    normalized: list[str],
    spec: FieldSchema,
    *,
    letter: str,
    first_row: int,
    date1904: bool = False,
) -> list[Finding]:
    """Findings for the cells of one column (``raw`` as read, ``normalized`` as the reader
    normalised it) that hold a control character, or a line break inside an identifier; the
    control characters are removed from ``normalized``, in place."""
    single_line = is_single_line(spec)
    suspect = _SUSPECT_IN_ID if single_line else CONTROL
    # The usual case, in C: the column's text has no character that is not printable (which
    # every control character is), or at least none of the suspect ones.
    text = "".join(cast("Iterator[str]", filter(str.__instancecheck__, raw)))
    if text.isprintable() or suspect.search(text) is None:
        return []
    normalize = column_normalizer(spec, date1904)
    found = []
    for index, original in enumerate(raw):
        if not isinstance(original, str) or not suspect.search(original):
            continue
        row, value = first_row + index, original
        if CONTROL.search(original):
            value = drop_controls(original)
            normalized[index] = normalize(value)
            found.append(_finding("control_char", spec, letter, row, normalized[index], original))
        if single_line and _LINES.search(value.strip()):
            found.append(_finding("line_break_in_id", spec, letter, row, normalized[index]))
    return found


_MESSAGES = {"control_char": msg.CONTROL_CHAR, "line_break_in_id": msg.LINE_BREAK_IN_ID}


def _finding(
    rule: str, spec: FieldSchema, letter: str, row: int, value: str, original: str = ""
) -> Finding:
    cell = f"{letter}{row}"
    return Finding(
        severity=Severity.ERROR,
        message=_(_MESSAGES[rule])
        % {"cell": cell, "column": spec.name, "chars": char_names(original)},
        row=row,
        column=spec.name,
        column_letter=letter,
        value=value,
        rule=rule,
    )
