"""Validate one parsed upload: structural findings, field checks and the table's rules."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.utils.translation import gettext

from collection.schema import CycleDates, Finding, ParsedSheet, Severity, TableSchema
from collection.validation.crosstable import is_cross_table
from collection.validation.fields import check_fields
from collection.validation.rules import evaluate_rule

__all__ = ["evaluate_rule", "sort_findings", "summarize", "summary_text", "validate"]


def validate(schema: TableSchema, sheet: ParsedSheet, cycle: CycleDates) -> list[Finding]:
    """Every finding of the upload, sorted by Excel row then column; never stops at the first."""
    findings = list(sheet.findings)
    findings.extend(check_fields(schema, sheet))
    for rule in schema.rules:
        if not is_cross_table(rule):  # those need other tables: crosscheck() runs them
            findings.extend(evaluate_rule(rule, schema, sheet, cycle))
    return sort_findings(findings, schema)


def sort_findings(findings: Iterable[Finding], schema: TableSchema) -> list[Finding]:
    """Whole-sheet findings first, then by row and by column as the collector sees them (the
    upload's column letter, else the template's order). The sort is stable, so within one cell
    field checks stay before rules."""
    schema_positions = {name: _UNPLACED + i for i, name in enumerate(schema.headers)}
    letter_numbers: dict[str, int] = {}

    def key(finding: Finding) -> tuple[bool, int, int]:
        letter = finding.column_letter
        if letter:
            column = letter_numbers.get(letter) or letter_numbers.setdefault(
                letter, _letter_number(letter)
            )
        elif finding.column is None:
            column = 0
        else:
            column = schema_positions.get(finding.column, 2 * _UNPLACED)
        return (finding.row is not None, finding.row or 0, column)

    return sorted(findings, key=key)


_UNPLACED = 100_000  # after any real column letter (XFD is 16,384)


def _letter_number(letter: str) -> int:
    number = 0
    for char in letter.upper():
        number = number * 26 + ord(char) - ord("A") + 1
    return number


def summarize(findings: Iterable[Finding]) -> dict[Severity, int]:
    """How many findings of each severity; every severity is present."""
    counts = Counter(finding.severity for finding in findings)
    return {severity: counts.get(severity, 0) for severity in Severity}


def summary_text(counts: dict[Severity, int]) -> str:
    return gettext("%(error)s errors, %(explain)s need an explanation, %(hint)s hints") % {
        "error": counts.get(Severity.ERROR, 0),
        "explain": counts.get(Severity.EXPLAIN, 0),
        "hint": counts.get(Severity.HINT, 0),
    }
