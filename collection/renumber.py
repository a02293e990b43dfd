"""Table codes moved from one numbering to another (the platform renumbers tables between years).

Plain Python. A mapping {old code: new code} is applied in one pass to every table code written in
rules, messages and dependency lists, so that 表2-6 → 表2-5 and 表2-5 → (gone) never chain into
each other. Codes not in the mapping stay as they are.

Used by the catalog build (the 2019 set brought to the 2024 numbering, scripts/build_catalog.py)
and by a template pack's confirmation (last year's tables brought to this year's codes).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# 表1-6, 表2-8-1, 表SF-13, 表GK-2: a code ends where no further "-digit" follows.
TABLE_CODE = re.compile(r"表(?:[A-Z]{2,3}-\d+|\d+(?:-\d+)*)(?![-\d])")


def renumber_text(text: str, mapping: Mapping[str, str]) -> str:
    """``text`` with every table code in ``mapping`` replaced by its new code."""
    if not mapping or "表" not in text:
        return text
    return TABLE_CODE.sub(lambda m: mapping.get(m.group(0), m.group(0)), text)


def renumber(value: Any, mapping: Mapping[str, str]) -> Any:
    """A JSON value (rules, rule parameters, examples) with every table code in every string
    renumbered; keys that are table codes (an example's other tables) too."""
    if isinstance(value, str):
        return renumber_text(value, mapping)
    if isinstance(value, list):
        return [renumber(item, mapping) for item in value]
    if isinstance(value, dict):
        return {renumber_text(k, mapping): renumber(v, mapping) for k, v in value.items()}
    return value


def referenced_codes(value: Any) -> set[str]:
    """Every table code written anywhere in a JSON value."""
    if isinstance(value, str):
        return set(TABLE_CODE.findall(value))
    if isinstance(value, list):
        return set().union(*(referenced_codes(item) for item in value)) if value else set()
    if isinstance(value, dict):
        found: set[str] = set()
        for k, v in value.items():
            found |= referenced_codes(k) | referenced_codes(v)
        return found
    return set()
