"""Comparing two versions of a contribution: rows added, removed and changed, cell by cell.

Plain Python on the stored rows (no ORM, no request), so it is tested without a database.

How rows of the two versions are paired:

1. By the table's key (``TableSchema.key_fields``, e.g. 学号) when the table has one and both
   versions have every key column: a row whose key is filled in and occurs once in the old and
   once in the new version is the same row, whatever its position; a difference in its other
   cells is a change.
2. Every other row (a table without a key, a blank key, a key that occurs twice in a version —
   itself an error of that version) is paired by its whole content: an identical row in the
   other version is the same row (duplicates pair one to one, in order), anything else is a
   removed row and an added row.
3. A single-record table has one row per version: the two rows are paired as they are, so a
   changed field shows as a changed cell.

Columns are paired by header text; a column only one of the versions has counts as empty in
the other (the table's spec changed between the two uploads).
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field

from collection.models import Version
from collection.schema import TableSchema
from collection.services.versions import upload_rows


@dataclass(frozen=True)
class CellChange:
    column: str
    old: str
    new: str


@dataclass(frozen=True)
class ChangedRow:
    old_index: int  # position in the old version's rows (0-based)
    new_index: int
    old: tuple[str, ...]  # aligned to Comparison.headers
    new: tuple[str, ...]
    cells: tuple[CellChange, ...]

    @property
    def changed_columns(self) -> frozenset[str]:
        return frozenset(c.column for c in self.cells)


@dataclass(frozen=True)
class PlacedRow:
    index: int  # position in its version's rows (0-based)
    values: tuple[str, ...]  # aligned to Comparison.headers


@dataclass
class Comparison:
    headers: list[str]
    key_fields: tuple[str, ...]  # empty when rows were paired by content only
    added: list[PlacedRow] = field(default_factory=list)
    removed: list[PlacedRow] = field(default_factory=list)
    changed: list[ChangedRow] = field(default_factory=list)
    unchanged: int = 0

    @property
    def is_same(self) -> bool:
        return not (self.added or self.removed or self.changed)


def compare_rows(
    old_headers: list[str],
    old_rows: list[list[str]],
    new_headers: list[str],
    new_rows: list[list[str]],
    *,
    key_fields: tuple[str, ...] = (),
    single: bool = False,
) -> Comparison:
    """What changed from ``old_rows`` to ``new_rows`` (see the module docstring for the rule)."""
    headers = list(new_headers) + [h for h in old_headers if h not in new_headers]
    old = _aligned(old_headers, old_rows, headers)
    new = _aligned(new_headers, new_rows, headers)
    usable_key = bool(key_fields) and all(k in old_headers and k in new_headers for k in key_fields)
    result = Comparison(headers, key_fields if usable_key else ())
    if single:
        _pair_single(result, old, new)
        return result
    pairs: list[tuple[int, int]] = []
    old_left, new_left = list(range(len(old))), list(range(len(new)))
    if usable_key:
        index = [headers.index(k) for k in key_fields]
        pairs, old_left, new_left = _pair_by_key(old, new, index)
    content_pairs, old_left, new_left = _pair_by_content(old, new, old_left, new_left)
    pairs += content_pairs
    for i, j in sorted(pairs, key=lambda p: p[1]):
        _record_pair(result, i, j, old[i], new[j])
    result.added = [PlacedRow(j, new[j]) for j in sorted(new_left)]
    result.removed = [PlacedRow(i, old[i]) for i in sorted(old_left)]
    return result


def _aligned(headers: list[str], rows: list[list[str]], target: list[str]) -> list[tuple[str, ...]]:
    if headers == target:
        return [tuple(row) + ("",) * (len(target) - len(row)) for row in rows]
    where = {h: i for i, h in enumerate(headers)}
    picks = [where.get(h) for h in target]
    return [tuple(row[p] if p is not None and p < len(row) else "" for p in picks) for row in rows]


def _pair_single(
    result: Comparison, old: list[tuple[str, ...]], new: list[tuple[str, ...]]
) -> None:
    if old and new:
        _record_pair(result, 0, 0, old[0], new[0])
    result.added = [PlacedRow(j, new[j]) for j in range(1 if old else 0, len(new))]
    result.removed = [PlacedRow(i, old[i]) for i in range(1 if new else 0, len(old))]


def _pair_by_key(
    old: list[tuple[str, ...]], new: list[tuple[str, ...]], index: list[int]
) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    def unique_keys(rows: list[tuple[str, ...]]) -> dict[tuple[str, ...], int]:
        seen: dict[tuple[str, ...], int] = {}
        counts: Counter[tuple[str, ...]] = Counter()
        for n, row in enumerate(rows):
            key = tuple(row[i] for i in index)
            if any(key):
                counts[key] += 1
                seen[key] = n
        return {k: n for k, n in seen.items() if counts[k] == 1}

    old_keys, new_keys = unique_keys(old), unique_keys(new)
    pairs = [(i, new_keys[k]) for k, i in old_keys.items() if k in new_keys]
    old_paired = {i for i, _ in pairs}
    new_paired = {j for _, j in pairs}
    return (
        pairs,
        [i for i in range(len(old)) if i not in old_paired],
        [j for j in range(len(new)) if j not in new_paired],
    )


def _pair_by_content(
    old: list[tuple[str, ...]],
    new: list[tuple[str, ...]],
    old_left: list[int],
    new_left: list[int],
) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    waiting: defaultdict[tuple[str, ...], deque[int]] = defaultdict(deque)
    for i in old_left:
        waiting[old[i]].append(i)
    pairs, added = [], []
    for j in new_left:
        queue = waiting.get(new[j])
        if queue:
            pairs.append((queue.popleft(), j))
        else:
            added.append(j)
    removed = sorted(i for queue in waiting.values() for i in queue)
    return pairs, removed, added


def _record_pair(
    result: Comparison, i: int, j: int, old: tuple[str, ...], new: tuple[str, ...]
) -> None:
    if old == new:
        result.unchanged += 1
        return
    cells = tuple(
        CellChange(name, a, b)
        for name, a, b in zip(result.headers, old, new, strict=True)
        if a != b
    )
    result.changed.append(ChangedRow(i, j, old, new, cells))


def versions_compare(old: Version, new: Version, schema: TableSchema) -> Comparison:
    """Compare two stored versions of one contribution (their rows are read from the blobs)."""
    old_headers, old_rows = upload_rows(old.upload)
    new_headers, new_rows = upload_rows(new.upload)
    return compare_rows(
        old_headers,
        old_rows,
        new_headers,
        new_rows,
        key_fields=schema.key_fields,
        single=schema.row_mode == "single",
    )
