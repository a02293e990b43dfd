"""Field checks: what one field's spec alone says about its cells (required, type, format, length).

Work is done per column and per distinct value: a roster column repeats few values (性别, 年级)
or is cheap to test (学号), so each distinct value is checked once and its messages are reused.

Most checks are errors. Two ask for an explanation (需说明) instead, because the platform may
accept the value: a value outside a code list known to be incomplete (``FieldSchema.codes_open``,
once per distinct value), and a hint on a percentage between 0 and 1 among percent numbers above 1
(``ambiguous_percentages``; see collection/excel/percent.py).
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
    findings.extend(ambiguous_percentages(schema, sheet))
    return findings


# (rule id, message, severity, only on the first row holding the value)
_Problem = tuple[str, str, Severity, bool]


def _check_column(spec: FieldSchema, column: list[str], sheet: ParsedSheet) -> list[Finding]:
    distinct = set(column)
    problems = _problems(spec, distinct - {""})
    if spec.required and "" in distinct:
        problems[""] = [("required", _required_message(spec), Severity.ERROR, False)]
    if not problems:
        return []
    letter = sheet.column_letters.get(spec.name)
    numbers = sheet.row_numbers
    shown: set[tuple[str, str]] = set()
    findings = []
    for i, value in enumerate(column):
        for rule, message, severity, first_only in problems.get(value, ()):
            if first_only:
                if (rule, value) in shown:
                    continue
                shown.add((rule, value))
            findings.append(
                Finding(
                    severity=severity,
                    message=message,
                    row=numbers[i],
                    column=spec.name,
                    column_letter=letter,
                    value=value,
                    rule=rule,
                )
            )
    return findings


def cell_problems(spec: FieldSchema, value: str) -> list[tuple[str, str]]:
    """(rule id, message) for each field check the cell fails, errors and explanations alike;
    [] when it is fine."""
    if not value:
        return [("required", _required_message(spec))] if spec.required else []
    return [(rule, message) for rule, message, *_ in _problems(spec, {value}).get(value, [])]


def _problems(spec: FieldSchema, values: Collection[str]) -> dict[str, list[_Problem]]:
    problems: dict[str, list[_Problem]] = {}
    for check in _checks(spec):
        if check.all_pass is not None and check.all_pass(values):
            continue
        passes = check.passes
        for value in [v for v in values if not passes(v)]:
            problems.setdefault(value, []).append(
                (check.rule, check.message(value), check.severity, check.first_only)
            )
    return problems


def _required_message(spec: FieldSchema) -> str:
    return gettext("“%(column)s” is required but empty. Fill in this cell.") % {"column": spec.name}


@dataclass(frozen=True)
class _Check:
    rule: str  # the finding's rule id
    passes: Callable[[str], object]  # cheap, mostly a C-level regex match or set lookup
    message: Callable[[str], str]  # only called for failing values
    all_pass: Callable[[Collection[str]], bool] | None = None  # a quick answer for the column
    severity: Severity = Severity.ERROR
    first_only: bool = False  # one finding per distinct value, on its first row


@lru_cache(maxsize=4096)
def _checks(spec: FieldSchema) -> list[_Check]:
    checks = []
    typed = _type_check(spec)
    if typed:
        checks.append(_per_part(spec, typed))
    if spec.format in _TEXT_FORMATS:
        checks.append(_per_part(spec, _format_check(spec.name, spec.format)))
    elif spec.format is not None and spec.format not in DATE_FORMATS and not spec.percent:
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
        message = _PERCENT_MESSAGE if spec.percent else _DECIMAL_MESSAGE
        return _number_check("decimal", spec.name, _DECIMAL, message)
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
        severity=check.severity,
        first_only=check.first_only,
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
_PERCENT_MESSAGE = gettext_noop(
    "“%(column)s” must be a percentage, not “%(value)s”. Enter a number such as 94.8 (meaning "
    "94.8 %%); 94.8%% and 0.948 are also understood."
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
    if spec.codes_open:
        return _open_code_check(spec, allowed, choices)

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


def _open_code_check(spec: FieldSchema, allowed: frozenset[str], choices: str) -> _Check:
    """A value outside a list known to be incomplete: the platform may well accept it, so it
    asks for an explanation, once per distinct value, instead of blocking."""

    def message(value: str) -> str:
        return gettext(
            "“%(column)s” holds “%(value)s”, which is not in caiji's code list for it; that list "
            "is known to be incomplete. If the platform's template of this year offers this "
            "value, say so in the explanation; otherwise choose a listed value, for example "
            "%(choices)s. Other rows with the same value are not flagged again."
        ) % {"column": spec.name, "value": _shown(value), "choices": choices}

    return _Check(
        "code_open", allowed.__contains__, message, severity=Severity.EXPLAIN, first_only=True
    )


def ambiguous_percentages(schema: TableSchema, sheet: ParsedSheet) -> list[Finding]:
    """提示 for a percent value between 0 and 1 in a sheet whose other percent values are
    percent numbers above 1: 0.5 is read as 0.5 %, but 50 % may have been meant
    (collection/excel/percent.py). Only a hint: a small share (差评 0.61 %) is ordinary real
    data that the platform accepts, so it must not ask for an explanation."""
    indexes = [i for i, f in enumerate(schema.fields) if f.percent]
    values = {
        (i, text): to_number(text) for i in indexes for text in {row[i] for row in sheet.rows}
    }
    if not any(n is not None and n > 1 for n in values.values()):
        return []
    small = {key for key, n in values.items() if n is not None and 0 < n <= 1}
    found = []
    for r, row in enumerate(sheet.rows):
        for i in indexes:
            if (i, row[i]) in small:
                name = schema.fields[i].name
                found.append(
                    Finding(
                        severity=Severity.HINT,
                        message=gettext(
                            "“%(column)s” is %(value)s and is read as %(value)s %%, like the "
                            "sheet's other percentages (94.8 means 94.8 %%). If you meant a "
                            "fraction (0.5 for 50 %%), write the percent number instead."
                        )
                        % {"column": name, "value": row[i]},
                        row=sheet.row_numbers[r],
                        column=name,
                        column_letter=sheet.column_letters.get(name),
                        value=row[i],
                        rule="percent_ambiguous",
                    )
                )
    return found


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
