"""Field checks: what one field's spec alone says about its cells (required, type, format, length).

Work is done per column and per distinct value: a roster column repeats few values (性别, 年级)
or is cheap to test (学号), so each distinct value is checked once and its messages are reused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from operator import itemgetter

from django.utils.translation import gettext, gettext_noop

from collection.schema import FieldSchema, FieldType, Finding, ParsedSheet, Severity, TableSchema

# Whole numbers may come as "12.0": Excel stores every number as a float.
_INT = re.compile(r"-?\d+(?:\.0*)?")
_DECIMAL = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
# Rules are more tolerant than field checks: thousands separators and a leading "+" still count.
_LOOSE_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")

DATE_FORMATS: dict[str, re.Pattern[str]] = {
    "YYYY": re.compile(r"([1-9]\d{3})"),
    "YYYY-MM": re.compile(r"([1-9]\d{3})-(\d{2})"),
    "YYYYMM": re.compile(r"([1-9]\d{3})(\d{2})"),
    "YYYY-MM-DD": re.compile(r"([1-9]\d{3})-(\d{2})-(\d{2})"),
}
_DATE_EXAMPLES = {
    "YYYY": "2024",
    "YYYY-MM": "2024-09",
    "YYYYMM": "202409",
    "YYYY-MM-DD": "2024-09-01",
}

_TEXT_FORMATS: dict[str, re.Pattern[str]] = {
    "url": re.compile(
        r"[hH][tT][tT][pP][sS]?://[^\s/?#:.]+(?:\.[^\s/?#:.]+)+(?::\d+)?(?:[/?#]\S*)?"
    ),
    # 11-digit mobile, or a landline with its area code (and an optional extension).
    "mobile": re.compile(r"1[3-9]\d{9}|0\d{2,3}-\d{7,8}(?:-\d{1,6})?"),
    "email": re.compile(r"[^@\s;,]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"),
}

_SHOWN_VALUE = 40  # characters of a bad value quoted in a message; the finding keeps it all
_SHOWN_CODES = 5


@lru_cache(maxsize=65536)
def to_number(text: str) -> float | None:
    """The number a cell holds, tolerant of thousands separators; None when empty or text."""
    cleaned = text.strip().replace(",", "")
    if not _LOOSE_NUMBER.fullmatch(cleaned):
        return None
    return float(cleaned)


@lru_cache(maxsize=65536)
def date_parts(text: str) -> tuple[int, ...] | None:
    """(year,), (year, month) or (year, month, day) of a YYYY, YYYY-MM, YYYYMM or YYYY-MM-DD
    value; None when the text is in none of these forms or is not a real date."""
    for pattern in DATE_FORMATS.values():
        match = pattern.fullmatch(text)
        if match:
            parts = tuple(int(group) for group in match.groups())
            return parts if _is_real(parts) else None
    return None


def _is_real(parts: tuple[int, ...]) -> bool:
    if len(parts) == 1:
        return True
    if len(parts) == 2:
        return 1 <= parts[1] <= 12
    try:
        date(*parts)
    except ValueError:
        return False
    return True


def check_fields(schema: TableSchema, sheet: ParsedSheet) -> list[Finding]:
    """Every field check of every cell, column by column."""
    findings: list[Finding] = []
    for index, spec in enumerate(schema.fields):
        # map(itemgetter) walks the rows in C and allocates nothing the garbage collector tracks.
        column = list(map(itemgetter(index), sheet.rows))
        findings.extend(_check_column(spec, column, sheet))
    return findings


def _check_column(spec: FieldSchema, column: list[str], sheet: ParsedSheet) -> list[Finding]:
    distinct = set(column)
    problems = _problems(spec, distinct - {""})
    if spec.required and "" in distinct:
        problems[""] = [("required", _required_message(spec))]
    if not problems:
        return []
    letter = sheet.column_letters.get(spec.name)
    numbers = sheet.row_numbers
    return [
        Finding(
            severity=Severity.ERROR,
            message=message,
            row=numbers[i],
            column=spec.name,
            column_letter=letter,
            value=value,
            rule=rule,
        )
        for i, value in enumerate(column)
        if value in problems
        for rule, message in problems[value]
    ]


def cell_problems(spec: FieldSchema, value: str) -> list[tuple[str, str]]:
    """(rule id, message) for each field check the cell fails; [] when it is fine."""
    if not value:
        return [("required", _required_message(spec))] if spec.required else []
    return _problems(spec, {value}).get(value, [])


def _problems(spec: FieldSchema, values: Collection[str]) -> dict[str, list[tuple[str, str]]]:
    problems: dict[str, list[tuple[str, str]]] = {}
    for check in _checks(spec):
        if check.all_pass is not None and check.all_pass(values):
            continue
        passes = check.passes
        for value in [v for v in values if not passes(v)]:
            problems.setdefault(value, []).append((check.rule, check.message(value)))
    return problems


def _required_message(spec: FieldSchema) -> str:
    return gettext("“%(column)s” is required but empty. Fill in this cell.") % {"column": spec.name}


@dataclass(frozen=True)
class _Check:
    rule: str  # the finding's rule id
    passes: Callable[[str], object]  # cheap, mostly a C-level regex match or set lookup
    message: Callable[[str], str]  # only called for failing values
    all_pass: Callable[[Collection[str]], bool] | None = None  # a quick answer for the column


@lru_cache(maxsize=4096)
def _checks(spec: FieldSchema) -> list[_Check]:
    checks = []
    typed = _type_check(spec)
    if typed:
        checks.append(_per_part(spec, typed))
    if spec.format in _TEXT_FORMATS:
        checks.append(_per_part(spec, _format_check(spec.name, spec.format)))
    elif spec.format is not None and spec.format not in DATE_FORMATS:
        raise ValueError(f"field “{spec.name}”: unknown format {spec.format!r}")
    if spec.max_len:
        checks.append(_max_len_check(spec.name, spec.max_len))
    return checks


def _type_check(spec: FieldSchema) -> _Check | None:
    if spec.type is FieldType.DATE or spec.format in DATE_FORMATS:
        return _date_check(spec.name, spec.format)
    if spec.type is FieldType.INT:
        return _number_check("int", spec.name, _INT, _INT_MESSAGE)
    if spec.type is FieldType.DECIMAL:
        return _number_check("decimal", spec.name, _DECIMAL, _DECIMAL_MESSAGE)
    if spec.type is FieldType.BOOL:
        return _bool_check(spec.name)
    if spec.type is FieldType.CODE and spec.codes:
        return _code_check(spec)
    return None


def _per_part(spec: FieldSchema, check: _Check) -> _Check:
    """For a multi-value field, apply ``check`` to each ";"-separated part."""
    if not spec.multi:
        return check
    passes, message = check.passes, check.message

    def bad_parts(value: str) -> list[str]:
        return [part for part in split_multi(value) if not passes(part)]

    return _Check(
        check.rule,
        lambda value: not bad_parts(value),
        lambda value: message("; ".join(bad_parts(value))),
    )


def split_multi(value: str) -> list[str]:
    # A trailing or doubled separator is harmless: empty parts are dropped.
    return [part.strip() for part in value.split(";") if part.strip()]


def _shown(value: str) -> str:
    return value if len(value) <= _SHOWN_VALUE else value[:_SHOWN_VALUE] + "…"


# Marked with gettext_noop so makemessages finds them; translated when a message is made.
_INT_MESSAGE = gettext_noop(
    "“%(column)s” must be a whole number, not “%(value)s”. Enter digits only, for example 12."
)
_DECIMAL_MESSAGE = gettext_noop(
    "“%(column)s” must be a number, not “%(value)s”. Enter digits with an optional decimal point, "
    "for example 12.5, without units or thousands separators."
)


def _number_check(rule: str, column: str, pattern: re.Pattern[str], msgid: str) -> _Check:
    def message(value: str) -> str:
        return gettext(msgid) % {"column": column, "value": _shown(value)}

    return _Check(rule, pattern.fullmatch, message)


def _date_check(column: str, fmt: str | None) -> _Check:
    patterns = [DATE_FORMATS[fmt]] if fmt else list(DATE_FORMATS.values())

    def well_formed(value: str) -> bool:
        return any(p.fullmatch(value) for p in patterns)

    def message(value: str) -> str:
        if not well_formed(value):
            shown_format = fmt or "YYYY-MM-DD"
            return gettext(
                "“%(column)s” must be a date in the form %(format)s, not “%(value)s”. "
                "Enter it like %(example)s."
            ) % {
                "column": column,
                "format": shown_format,
                "value": _shown(value),
                "example": _DATE_EXAMPLES[shown_format],
            }
        return gettext(
            "“%(column)s” is not a real date: “%(value)s”. "
            "Check the year, the month (1–12) and the day."
        ) % {"column": column, "value": _shown(value)}

    return _Check("date", lambda v: well_formed(v) and date_parts(v) is not None, message)


def _bool_check(column: str) -> _Check:
    def message(value: str) -> str:
        return gettext(
            "“%(column)s” must be 是 or 否, not “%(value)s”. Choose 是 or 否 from the drop-down list."
        ) % {"column": column, "value": _shown(value)}

    return _Check("bool", frozenset({"是", "否"}).__contains__, message)


def _code_check(spec: FieldSchema) -> _Check:
    allowed = frozenset(spec.codes)
    choices = "、".join(spec.codes[:_SHOWN_CODES]) + ("…" if len(spec.codes) > _SHOWN_CODES else "")
    column = spec.name

    def message(value: str) -> str:
        if spec.multi:
            return gettext(
                "“%(column)s” contains “%(value)s”, which is not in the code list. Separate "
                "several values with ; and take each from the code list, for example %(choices)s."
            ) % {"column": column, "value": _shown(value), "choices": choices}
        return gettext(
            "“%(column)s” must be a value from the code list, not “%(value)s”. "
            "Choose one from the drop-down list, for example %(choices)s."
        ) % {"column": column, "value": _shown(value), "choices": choices}

    return _Check("code", allowed.__contains__, message)


_FORMAT_MESSAGES = {
    "url": gettext_noop(
        "“%(column)s” must be a web address starting with http:// or https://, not "
        "“%(value)s”. Enter the full address, for example https://www.example.edu.cn."
    ),
    "mobile": gettext_noop(
        "“%(column)s” must be an 11-digit mobile number or a landline number with its area "
        "code, not “%(value)s”. Enter it like 13812345678 or 020-12345678."
    ),
    "email": gettext_noop(
        "“%(column)s” must be an e-mail address, not “%(value)s”. "
        "Enter it like name@example.edu.cn."
    ),
}


def _format_check(column: str, fmt: str) -> _Check:
    def message(value: str) -> str:
        return gettext(_FORMAT_MESSAGES[fmt]) % {"column": column, "value": _shown(value)}

    return _Check(fmt, _TEXT_FORMATS[fmt].fullmatch, message)


def _max_len_check(column: str, limit: int) -> _Check:
    def message(value: str) -> str:
        return gettext(
            "“%(column)s” has %(length)s characters; at most %(max)s are allowed. Shorten the text."
        ) % {"column": column, "length": len(value), "max": limit}

    # len() counts characters, not bytes: 一 counts as one.
    return _Check(
        "max_len",
        lambda value: len(value) <= limit,
        message,
        lambda values: max(map(len, values), default=0) <= limit,
    )
