"""Matching the tables of a pack to the cycle's tables (last year's, as the cycle was copied).

Plain Python. The platform renumbers tables between years, and a number can pass to another
table (2019's 表2-5 校园网 is gone; 2024's 表2-5 is 2019's 表2-6 固定资产), so the code alone
never decides: a pair is scored by what it holds.

- **Name likeness** (0–1): the two names without spaces and width differences, compared with
  difflib's ratio; a name that contains the other (教学成果奖 / 教学成果奖（近一届）) counts 0.9.
- **Header overlap** (0–1): the headers both share (by ``specdiff.header_key``) over the larger
  number of headers.
- **Confidence** (0–100 %): ``NAME_WEIGHT`` × name likeness + the rest × header overlap (the
  name likeness alone when one side has no columns: a 字段待确认 table of the catalog). A pair
  with the same code and a confidence of at least ``SAME_CODE_FLOOR`` is a match; any other pair
  needs ``FLOOR``. The pairs are taken greedily, best first, a same code adding
  ``SAME_CODE_BONUS`` to the order only (never to the confidence shown): two tables with the same
  columns (表SF-1 and 表5-2-2 in 2018) keep their own codes.

A match is "same" (same code and name), "renamed" (same code, another name) or "renumbered"
(another code); a pack table without a match is "new", a cycle table without one is "gone". The
office confirms or corrects each match on the report page.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from collection.specdiff import HeaderDiff, diff_headers, header_key

NAME_WEIGHT = 0.4
FLOOR = 0.5
SAME_CODE_FLOOR = 0.35
SAME_CODE_BONUS = 0.15
CANDIDATES = 5
_NOISE = re.compile(r"[\s、，,：:.\-_·]+")


@dataclass(frozen=True)
class TableShape:
    """What matching knows of a table: its code, name and headers (``key`` identifies it:
    the pack table's code, or the cycle table's primary key)."""

    key: str | int
    code: str
    name: str
    headers: tuple[str, ...]
    keys: frozenset[str] = field(init=False, compare=False)
    name_key: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "keys", frozenset(header_key(h) for h in self.headers))
        object.__setattr__(self, "name_key", name_key(self.name))


def name_key(name: str) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFKC", name or ""))


def name_likeness(a: TableShape, b: TableShape) -> float:
    x, y = a.name_key, b.name_key
    if not x or not y:
        return 0.0
    if x == y:
        return 1.0
    if x in y or y in x:
        return 0.9
    return SequenceMatcher(None, x, y, autojunk=False).ratio()


def header_overlap(a: TableShape, b: TableShape) -> float:
    if not a.keys or not b.keys:
        return 0.0
    return len(a.keys & b.keys) / max(len(a.keys), len(b.keys))


def confidence(a: TableShape, b: TableShape) -> int:
    """0–100: how sure caiji is that ``a`` and ``b`` are one table (see the module doc). A
    table without columns (字段待确认: the catalog knows its name only) is matched by name."""
    if not a.keys or not b.keys:
        return round(100 * name_likeness(a, b))
    score = NAME_WEIGHT * name_likeness(a, b) + (1 - NAME_WEIGHT) * header_overlap(a, b)
    return round(100 * score)


@dataclass(frozen=True)
class Match:
    pack: str  # the pack table's key (its code)
    target: int | str | None  # the cycle table's key, None = new
    confidence: int  # of the pair, 0 when new
    candidates: tuple[tuple[int | str, int], ...]  # the best cycle tables, with confidence


def match_tables(pack: Sequence[TableShape], cycle: Sequence[TableShape]) -> list[Match]:
    """The best match of every pack table (in pack order), each cycle table used once."""
    scored: dict[str | int, list[tuple[float, int, int | str]]] = {p.key: [] for p in pack}
    for p in pack:
        for c in cycle:
            if not (p.keys & c.keys) and name_likeness(p, c) < 0.3 and p.code != c.code:
                continue  # nothing in common: not a candidate (keeps 100 × 100 cheap)
            value = confidence(p, c)
            order = value / 100 + (SAME_CODE_BONUS if p.code and p.code == c.code else 0)
            scored[p.key].append((order, value, c.key))
    codes = {c.key: c.code for c in cycle}
    by_code = {p.key: p.code for p in pack}
    pairs = sorted(
        (
            (order, value, pack_key, cycle_key)
            for pack_key, found in scored.items()
            for order, value, cycle_key in found
        ),
        key=lambda t: (-t[0], str(t[2]), str(t[3])),
    )
    taken: dict[str | int, tuple[int | str, int]] = {}
    used: set[int | str] = set()
    for _order, value, pack_key, cycle_key in pairs:
        if pack_key in taken or cycle_key in used:
            continue
        same = by_code[pack_key] and by_code[pack_key] == codes[cycle_key]
        if value >= round(100 * (SAME_CODE_FLOOR if same else FLOOR)):
            taken[pack_key] = (cycle_key, value)
            used.add(cycle_key)
    matches = []
    for shape in pack:
        best = sorted(scored[shape.key], key=lambda t: (-t[0], str(t[2])))[:CANDIDATES]
        target, value = taken.get(shape.key, (None, 0))
        matches.append(Match(str(shape.key), target, value, tuple((key, v) for _o, v, key in best)))
    return matches


def kind_of_match(pack: TableShape, target: TableShape | None) -> str:
    if target is None:
        return "new"
    if pack.code != target.code:
        return "renumbered"
    return "same" if pack.name_key == target.name_key else "renamed"


def column_changes(old: Sequence[str], new: Sequence[str]) -> HeaderDiff:
    """Columns added, removed, renamed or moved from a cycle table to its pack table."""
    return diff_headers(list(old), list(new))
