"""Cell values (from calamine or csv) to the normalised text that validation and storage see.

One function per field is chosen once (``column_normalizer``) and applied to a whole column
(``normalize_column``): a column that repeats its values is converted once per distinct value,
and plain ASCII text costs one ``strip()``; 50,000 × 8 cells take about 0.06 s.

How much is converted depends on the field (the choice the rest of caiji relies on):

* Free text (names, titles, addresses): only full-width digits and Latin letters become
  half-width, invisible characters go (zero-width spaces and joiners, the byte-order mark, soft
  hyphens, and the left-to-right / right-to-left marks and embeddings that text copied from
  web pages or PDFs carries), a no-break space becomes a space, and the ends are trimmed.
  Chinese punctuation stays as typed: “（” in 校内专业（大类）名称 or “，” in a title is part of
  the name, and NFKC would turn it into ASCII.
* Identifiers (text fields whose name ends in 号 / 代码 / 编号 …, ISBN, and the url / mobile /
  email formats), numbers, dates and booleans: full NFKC, so “１００１”, “２０２３年９月” and
  “－” are read as typed on a half-width keyboard.
* Code fields: free-text cleaning, then a value that equals one of the field's codes up to
  width, case, spaces and 其它/其他 becomes that code exactly (“（” and “(” both give the
  catalog's form).
* Traditional characters are never converted: NFKC does not touch them.
* Control characters (NUL, ESC …) are not touched here: the reader removes them from the
  values and reports each cell (``controls``); header keys drop them.

Percent fields (format "percent"): a number, with a written percent sign kept as a marker;
``collection.excel.percent`` decides per sheet what a bare 0.948 means and removes the markers.

Numbers: a whole float prints without “.0” (12.0 → "12", 1001.0 → "1001"); other floats print
with the 15 significant digits Excel shows, so binary noise (0.30000000000000004) disappears.
Leading zeros cannot be recovered from a number cell; a text cell keeps them.

Dates (fields of type date, format YYYY / YYYY-MM / YYYYMM / YYYY-MM-DD): a real date cell, an
Excel serial (44927 → 2023-01-01) or a text date (2020/9/1, 2020.09, 2020年9月, 20200901,
2020-9) is written in the field's format. A number that reads as a year (2023), a YYYYMM
(202309) or a YYYYMMDD is taken as that, not as a serial. A float such as 2020.1 is read as
it is displayed, i.e. January 2020. A value that cannot be read, or that is less precise than
the format asks (2020 for YYYY-MM), is returned cleaned but otherwise as typed, so validation
can quote it.

Serials count from 1899-12-30 (Excel's 1900 date system) unless the workbook says it uses the
1904 date system (old Mac Excel): then ``date1904`` makes them count from 1904-01-01.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache, partial

from collection.excel.percent import percent_cell
from collection.schema import FieldSchema, FieldType

Normalizer = Callable[[object], str]

# Zero-width characters, then the bidirectional marks, embeddings and isolates: invisible, and a
# 学号 or a code that carries one would never match its twin without it.
_ZERO_WIDTH = (
    "\u200b\u200c\u200d\u2060\ufeff\u00ad"
    "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# Free text: invisible characters removed, no-break space → space, full-width digits and Latin
# letters → half-width. Nothing else changes.
_LIGHT = str.maketrans(
    {
        **dict.fromkeys(_ZERO_WIDTH),
        "\u00a0": " ",
        **{chr(0xFF10 + i): chr(0x30 + i) for i in range(10)},
        **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},
        **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)},
    }
)
_DROP_ZERO_WIDTH = str.maketrans(dict.fromkeys(_ZERO_WIDTH))
# Control characters no person types and no cell may keep (a NUL cannot even be stored): C0
# controls except tab, line feed and carriage return, DEL, the C1 controls and U+FFFE/U+FFFF,
# the set config.input refuses in a request. The reader reports them (``controls``).
CONTROL_CHARS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff"  # a character class
CONTROL = re.compile(f"[{CONTROL_CHARS}]")
_WHITESPACE = re.compile(r"\s+")
_IDENTIFIER_SUFFIXES = ("号", "代码", "编码", "ISBN", "ISSN")  # 学号, 工号, 单位号, 专业代码 …
_FULL_FORMATS = {"url", "mobile", "email"}
MULTI_SEPARATORS = re.compile(r"[;；,，、\n]")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_WHOLE_WITH_ZEROS = re.compile(r"([+-]?\d+)\.0+")
_HEADER_MARKER = re.compile(r"^\*+|(?:\*+|[(\[【〔](?:必填|必填项|选填|可选)[)\]】〕])+$")

_TRUE = frozenset({"是", "y", "yes", "true", "1", "√", "✓", "✔", "有"})
_FALSE = frozenset({"否", "n", "no", "false", "0", "×", "✗", "✘", "无"})

_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_EARLY_EPOCH = date(1899, 12, 31)  # serials 1–59, before Excel's phantom 1900-02-29
_FIRST_REAL_SERIAL_DATE = date(1900, 3, 1)
_EXCEL_1904_EPOCH = date(1904, 1, 1)


# ---------------------------------------------------------------------------------------------
# Text cleaning


def clean_light(text: str) -> str:
    """Free-text cleaning (see the module docstring)."""
    if text.isascii():
        return text.strip()
    return text.translate(_LIGHT).strip()


def clean_full(text: str) -> str:
    """NFKC with zero-width characters removed and the ends trimmed."""
    if text.isascii():
        return text.strip()
    return unicodedata.normalize("NFKC", text.translate(_DROP_ZERO_WIDTH)).strip()


def normalize_header(value: object) -> str:
    """A header cell as a lookup key: NFKC, no whitespace or zero-width characters at all, and
    without a required-field marker (“*学号”, “学号*”, “学号（必填）”) or control characters."""
    text = value if isinstance(value, str) else _plain_text(value)
    text = _WHITESPACE.sub("", clean_full(drop_controls(text)))
    return _HEADER_MARKER.sub("", text)


def drop_controls(text: str) -> str:
    """The text without the control characters of ``CONTROL``."""
    return CONTROL.sub("", text)


def number_text(value: float) -> str:
    """A float as Excel displays it in a General cell, without exponent or binary noise."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    text = f"{value:.15g}"
    if "e" in text:
        text = format(Decimal(text), "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    return text


def _plain_text(value: object) -> str:
    """Any non-string cell value as text, for fields that are not dates, numbers or booleans."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat(timespec="seconds")
    if isinstance(value, timedelta):
        return str(value)
    return str(value).strip()


def is_identifier(spec: FieldSchema) -> bool:
    """Text fields holding codes or numbers-as-text, which get the full NFKC conversion."""
    return spec.format in _FULL_FORMATS or spec.name.endswith(_IDENTIFIER_SUFFIXES)


# ---------------------------------------------------------------------------------------------
# One normaliser per field kind


def _text_light(value: object) -> str:
    if isinstance(value, str):
        return value.strip() if value.isascii() else clean_light(value)
    return _plain_text(value)


def _text_full(value: object) -> str:
    if isinstance(value, str):
        return value.strip() if value.isascii() else clean_full(value)
    return _plain_text(value)


def _number(value: object, date1904: bool = False) -> str:
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, str):
        text = clean_full(value)
        if "," in text and _THOUSANDS.fullmatch(text):
            text = text.replace(",", "")
        return text
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (datetime, date)):
        # A number the collector formatted as a date by mistake: give the number back.
        return number_text(_serial(value, date1904))
    return _plain_text(value)


def _percent(value: object, date1904: bool = False) -> str:
    """A number of a percent field, keeping a written percent sign (collection/excel/percent.py)."""
    return percent_cell(_number(value, date1904))


def _int(value: object, date1904: bool = False) -> str:
    text = _number(value, date1904)
    match = _WHOLE_WITH_ZEROS.fullmatch(text)
    return match.group(1) if match else text


def _bool(value: object) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value == 1:
            return "是"
        if value == 0:
            return "否"
        return number_text(value)
    text = clean_full(value) if isinstance(value, str) else _plain_text(value)
    key = text.casefold()
    if key in _TRUE:
        return "是"
    if key in _FALSE:
        return "否"
    return text


def _code_key(text: str) -> str:
    # 其它 and 其他 are both in use (the 指标解释 writes 其它教学任务, the code list 其他教学任务).
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", text)).casefold().replace("它", "他")


def _code(codes: tuple[str, ...]) -> Normalizer:
    canonical = {_code_key(code): code for code in codes}
    exact = frozenset(codes)

    def normalize(value: object) -> str:
        text = _text_light(value)
        if not text or text in exact:
            return text
        return canonical.get(_code_key(text), text)

    return normalize


# ---------------------------------------------------------------------------------------------
# Dates

_Y = r"(\d{4})"
_SEP = r"\s*[-/.年]\s*"
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_TEXT_DATES = (
    re.compile(_Y + r"\s*年?"),
    re.compile(_Y + r"(\d{2})"),
    re.compile(_Y + r"(\d{2})(\d{2})"),
    re.compile(_Y + _SEP + r"(\d{1,2})\s*月?"),
    re.compile(_Y + _SEP + r"(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?" + _TIME),
)
_NEEDS = {"YYYY": 1, "YYYY-MM": 2, "YYYYMM": 2, "YYYY-MM-DD": 3}


def _serial(value: date, date1904: bool = False) -> float:
    """The Excel serial of a date (1900 date system, or 1904)."""
    day = value.date() if isinstance(value, datetime) else value
    if date1904:
        epoch = _EXCEL_1904_EPOCH
    else:
        epoch = _EXCEL_EARLY_EPOCH if day < _FIRST_REAL_SERIAL_DATE else _EXCEL_EPOCH
    serial = float((day - epoch).days)
    if isinstance(value, datetime):
        serial += (value - datetime.combine(day, time(0))).total_seconds() / 86400
    return serial


def _from_serial(serial: float, date1904: bool = False) -> date:
    days = int(serial)
    if date1904:
        return _EXCEL_1904_EPOCH + timedelta(days=days)
    if days < 60:
        return _EXCEL_EARLY_EPOCH + timedelta(days=days)
    return _EXCEL_EPOCH + timedelta(days=days)


def _format_parts(parts: tuple[int, ...], fmt: str) -> str | None:
    """The date in ``fmt``; None when it is not a real date or is less precise than ``fmt``."""
    if len(parts) < _NEEDS[fmt] or (len(parts) > 1 and not 1 <= parts[1] <= 12):
        return None
    if len(parts) > 2:
        try:
            date(*parts[:3])
        except ValueError:
            return None
    year = parts[0]
    if fmt == "YYYY":
        return f"{year:04d}"
    if fmt == "YYYY-MM":
        return f"{year:04d}-{parts[1]:02d}"
    if fmt == "YYYYMM":
        return f"{year:04d}{parts[1]:02d}"
    return f"{year:04d}-{parts[1]:02d}-{parts[2]:02d}"


def _text_date_parts(text: str) -> tuple[int, ...] | None:
    for pattern in _TEXT_DATES:
        match = pattern.fullmatch(text)
        if match:
            return tuple(int(group) for group in match.groups())
    return None


def _date(fmt: str, date1904: bool = False) -> Normalizer:
    def from_text(text: str) -> str:
        parts = _text_date_parts(text)
        if parts is None:
            return text
        return _format_parts(parts, fmt) or text

    def normalize(value: object) -> str:
        if isinstance(value, str):
            text = clean_full(value)
            return from_text(text) if text else ""
        if isinstance(value, (datetime, date)):
            return _format_parts((value.year, value.month, value.day), fmt) or ""
        if isinstance(value, (float, int)) and not isinstance(value, bool):
            number = float(value)
            # Years, YYYYMM, YYYYMMDD and 2020.09 typed as numbers are read as typed; anything
            # else in Excel's date range is the serial of a cell that lost its date format.
            if 1000 <= number < 10000 or (number >= 100001 and number.is_integer()):
                return from_text(number_text(number))
            if 1 <= number < 2958466:
                day = _from_serial(number, date1904)
                return _format_parts((day.year, day.month, day.day), fmt) or number_text(number)
            return number_text(number)
        return _plain_text(value)

    return normalize


# ---------------------------------------------------------------------------------------------
# Dispatch


def _multi(single: Normalizer) -> Normalizer:
    def normalize(value: object) -> str:
        if not isinstance(value, str):
            return single(value)
        parts = (single(part) for part in MULTI_SEPARATORS.split(value))
        return ";".join(part for part in parts if part)

    return normalize


@cache
def column_normalizer(spec: FieldSchema, date1904: bool = False) -> Normalizer:
    """The function that turns one cell of this field into normalised text (``date1904``: the
    workbook counts its date serials from 1904)."""
    single: Normalizer
    if spec.type is FieldType.DATE:
        single = _date(spec.format or "YYYY-MM-DD", date1904)
    elif spec.type is FieldType.INT:
        single = partial(_int, date1904=True) if date1904 else _int
    elif spec.type is FieldType.DECIMAL:
        number = _percent if spec.percent else _number
        single = partial(number, date1904=True) if date1904 else number
    elif spec.type is FieldType.BOOL:
        single = _bool
    elif spec.type is FieldType.CODE:
        single = _code(spec.codes) if spec.codes else _text_light
    elif is_identifier(spec):
        single = _text_full
    else:
        single = _text_light
    return _multi(single) if spec.multi else single


def normalize_cell(value: object, spec: FieldSchema, *, date1904: bool = False) -> str:
    return column_normalizer(spec, date1904)(value)


def normalize_column(
    values: Iterable[object], spec: FieldSchema, *, date1904: bool = False
) -> list[str]:
    """Normalise a whole column. A column that repeats its values (男/女, 2023, a unit code) is
    converted once per distinct value and mapped in C; a column of mostly distinct values (学号,
    names) is converted cell by cell, plain ASCII text costing one ``strip()``."""
    normalize = column_normalizer(spec, date1904)
    cells = values if isinstance(values, (list, tuple)) else list(values)
    if len(set(cells[:512])) > 256:
        return list(map(normalize, cells))
    distinct = set(cells)
    # True == 1.0 for a set: a column mixing booleans and numbers is converted cell by cell.
    if len(distinct) * 2 > len(cells) or any(type(v) is bool for v in distinct):
        return list(map(normalize, cells))
    table = {value: normalize(value) for value in distinct}
    return list(map(table.__getitem__, cells))
