"""Shared-string references that calamine would read as another string, found while
``sheetscan`` streams each worksheet of an .xlsx anyway.

A cell ``<c t="s"><v>12</v></c>`` shows entry 12 (from 0) of the workbook's shared-strings table.
calamine reads a ``<v>`` that is not a plain number ("-1", " 1", "1.0", "abc", a number beyond
2⁶⁴) as entry 0, so such a cell silently showed the workbook's first string (often a header)
instead of failing. Excel, WPS and the libraries write digits only, so anything else means the
file is damaged or crafted, and it is refused. (An index past the end of the table makes
calamine fail; the reader refuses that file with the same message.)

One regular expression per piece finds each ``s"`` or ``s'`` that is not the usual spelling
``␠t="s"…><v>digits</v></c>``. It starts with a literal character, which the engine looks for
with a fast search: about 35 ms for a 50,000 × 8 roster of shared strings (14 MB of XML). Only
the few it finds (a cell cut between two pieces, an unusual spelling) are looked at closely: is
it the ``t`` attribute of a cell, and what do the cell's ``<v>`` elements hold (calamine takes
the last).
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from collection.excel import messages as msg
from collection.schema import RejectedFile

# Every shared-string cell has s" or s' (its t attribute); this finds the ones not plainly fine.
_SUSPECT = re.compile(
    rb"""s["'](?!(?<= t="s")(?: [\w:.-]+="[^"<>]*")*(?:/>|><v>[0-9]{1,10}</v></c>))"""
)
_CELL_TAG = re.compile(rb"<(?:[\w.-]+:)?c(?=[\s/>])([^>\"']*(?:(?:\"[^\"]*\"|'[^']*')[^>\"']*)*)>")
_T_ATTRIBUTE = re.compile(rb"(?:(?<=[\s\"'])|^)t\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_CELL_END = re.compile(rb"</(?:[\w.-]+:)?c\s*>")
_VALUE_TAG = re.compile(rb"<(?:[\w.-]+:)?v(?=[\s/>])([^>]*)>")
_INDEX = re.compile(rb"[0-9]{0,10}")  # empty is read as an empty cell, which is harmless
_CARRY_LIMIT = 1024 * 1024  # a shared-string cell is a few dozen bytes
# Close looks per sheet (a few µs each): a real file needs about one per piece; a crafted one
# could ask for one per cell, so beyond this the file must be saved again, as for the tolerant
# tokenizer of ``sheetscan``.
_CHECK_BUDGET = 200_000


class SharedRefScan:
    """Fed with the pieces of one worksheet's XML (each ends right before a "<")."""

    def __init__(self, sheet: str) -> None:
        self.sheet = sheet
        self._carry = b""  # a shared-string cell cut by the end of the previous piece
        self._checks = 0

    def feed(self, piece: bytes) -> None:
        data = self._carry + piece if self._carry else piece
        self._carry = b""
        match = _SUSPECT.search(data)
        while match is not None:
            self._checks += 1
            if self._checks > _CHECK_BUDGET:
                raise RejectedFile(_(msg.IRREGULAR) % {"sheet": self.sheet})
            cut = self._check(data, match.start())
            if cut is not None:
                self._carry = data[cut:]
                if len(self._carry) > _CARRY_LIMIT:
                    raise RejectedFile(_(msg.IRREGULAR) % {"sheet": self.sheet})
                return
            match = _SUSPECT.search(data, match.end())

    def close(self) -> None:
        """The end of the sheet: a cell still cut is judged on what there is of it."""
        if self._carry:
            data, self._carry = self._carry, b""
            self._check(data + b"</c>", data.find(b"s"))

    def _check(self, data: bytes, at: int) -> int | None:
        """Refuse the file if ``at`` is in the t="s" of a cell whose value is not an index;
        return where the cell starts when it goes on in the next piece."""
        start = data.rfind(b"<", 0, at)
        tag = _CELL_TAG.match(data, start) if start >= 0 else None
        if tag is None:
            return start if start >= 0 and data.find(b">", at) < 0 else None
        if at >= tag.end() or _last_type(tag.group(1)) != b"s" or tag.group(1).endswith(b"/"):
            return None
        end = _CELL_END.search(data, tag.end())
        if end is None:
            return start
        for value in _VALUE_TAG.finditer(data, tag.end(), end.start()):
            if value.group(1).endswith(b"/"):
                continue
            text_end = data.find(b"<", value.end(), end.start() + 1)
            if not _INDEX.fullmatch(data, value.end(), text_end):
                raise RejectedFile(_(msg.SHARED_STRING_INDEX) % {"sheet": self.sheet})
        return None


def _last_type(attributes: bytes) -> bytes | None:
    """The cell's type, as calamine takes it: the last unprefixed t attribute, as written."""
    found = _T_ATTRIBUTE.findall(attributes)
    if not found:
        return None
    double, single = found[-1]
    return bytes(double or single)
