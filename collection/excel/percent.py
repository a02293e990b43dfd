"""Percentages: fields the platform takes as percent numbers (format "percent": 94.8 for 94.8 %).

Collectors write a ratio in several ways: 94.8, "94.8%", "94.8％", or as a fraction, 0.948 (an
Excel cell formatted as a percentage holds the fraction too). caiji stores and exports one form,
the platform's: the percent number, "94.8".

A cell with a percent sign is unambiguous. A bare number is not: 0.5 may be 0.5 % or 50 %. The
rule, over every percent cell of the sheet (all its percent fields, all rows, because a
single-record table has one value per column):

* if no cell has a percent sign, at least one bare number is not 0, and every bare number is
  between 0 and 1, the sheet is written in fractions: every bare number is multiplied by 100,
  and the sheet gets a hint that says so;
* otherwise every bare number is already a percent number and is kept: 0.5 stays 0.5 (%). A
  value between 0 and 1 among percent numbers above 1 is then read as a percent number too
  (a small share, 0.61 %, is ordinary) and validation adds a hint (``collection.validation
  .fields``), so 0.5 % never silently becomes 50 % nor the other way round.

``percent_cell`` normalises one cell and keeps a written percent sign as a marker;
``resolve_percent_columns`` applies the rule to the sheet's columns and removes the markers.
The reader calls it once per sheet, after normalising the columns.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from collection.schema import FieldSchema, Finding, Severity

_MARKED = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+))\s*%")
_BARE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_HUNDRED = Decimal(100)


def percent_cell(text: str) -> str:
    """A normalised (NFKC, so ％ is %) number cell of a percent field: "94.8 %" → "94.8%" (the
    marker kept for ``resolve_percent_columns``); anything else as it came."""
    match = _MARKED.fullmatch(text)
    return f"{match.group(1)}%" if match else text


def decimal_text(number: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 94.800 → "94.8", 1E+2 → "100"."""
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "+0") else text


def resolve_percent_columns(
    fields: Sequence[FieldSchema], columns: list[list[str]]
) -> list[Finding]:
    """Bring the percent fields' normalised ``columns`` (one list per field, in place) to the
    platform's form; a hint when the sheet was written in fractions."""
    indexes = [i for i, f in enumerate(fields) if f.percent]
    if not indexes:
        return []
    bare: list[Decimal] = []
    marked = False
    for i in indexes:
        for text in set(columns[i]):
            if text.endswith("%") and _MARKED.fullmatch(text):
                marked = True
            elif _BARE.fullmatch(text):
                bare.append(_decimal(text))
    fractions = not marked and any(bare) and all(0 <= n <= 1 for n in bare)
    for i in indexes:
        columns[i] = [_resolved(text, fractions) for text in columns[i]]
    if not fractions:
        return []
    names = "、".join(f"“{fields[i].name}”" for i in indexes)
    return [
        Finding(
            severity=Severity.HINT,
            message=_(
                "The percentages (%(columns)s) were written as fractions, such as 0.948; caiji "
                "stores them as the platform takes them, as percent numbers (0.948 → 94.8, "
                "meaning 94.8 %%). Check that this is what you meant."
            )
            % {"columns": names},
            rule="percent_fraction",
        )
    ]


def _resolved(text: str, fractions: bool) -> str:
    if text.endswith("%"):
        match = _MARKED.fullmatch(text)
        return decimal_text(_decimal(match.group(1))) if match else text
    if fractions and _BARE.fullmatch(text):
        return decimal_text(_decimal(text) * _HUNDRED)
    return text


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:  # the patterns only let numbers through; a guard all the same
        return Decimal(0)
