"""Compare two header rows: what the platform added, removed, renamed or reordered.

Plain Python; used for "changed since last year" and for refreshing a spec from the
platform's official blank template.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher

_SPACE = re.compile(r"[\s\u200b-\u200d\ufeff]+")


def header_key(text: str) -> str:
    """Headers that differ only in spaces, width or a required-marker are the same header."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _SPACE.sub("", text).strip("*")
    return text


def _likeness(a: str, b: str) -> float:
    a, b = header_key(a), header_key(b)
    if a and b and (a in b or b in a):
        return 1.0
    return SequenceMatcher(None, a, b).ratio()


@dataclass
class HeaderDiff:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (old, new)
    moved: list[str] = field(default_factory=list)  # same header, another position
    new_order: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.renamed or self.moved)


def diff_headers(old: list[str], new: list[str]) -> HeaderDiff:
    """Match headers by their normalised text; an unmatched old header and the most similar
    unmatched new one count as a rename (the platform rewording a column) when one contains the
    other or they are mostly alike; everything else is removed or added."""
    old_keys = {header_key(h): h for h in old}
    new_keys = {header_key(h): h for h in new}
    result = HeaderDiff(new_order=list(new))
    unmatched_old = [h for h in old if header_key(h) not in new_keys]
    unmatched_new = [h for h in new if header_key(h) not in old_keys]
    for o in list(unmatched_old):
        scored = [(_likeness(o, n), n) for n in unmatched_new]
        score, twin = max(scored, default=(0.0, ""))
        if score >= 0.6:
            result.renamed.append((o, twin))
            unmatched_old.remove(o)
            unmatched_new.remove(twin)
    result.removed = unmatched_old
    result.added = unmatched_new
    # Order of the headers both sides share (renames included): the fewest headers that moved,
    # i.e. those outside the longest run kept in order (one column taken from the front to the
    # end is one move, not a shift of every column between).
    rename_map = dict(result.renamed)
    mapped = [rename_map.get(h, new_keys.get(header_key(h))) for h in old]
    shared_old = [h for h in mapped if h is not None]
    shared_new = [h for h in new if h in set(shared_old)]
    kept = _in_order(shared_old, shared_new)
    result.moved = [h for h in shared_new if h not in kept]
    # Renamed headers whose text differs only trivially are not renames at all.
    result.renamed = [(o, n) for o, n in result.renamed if o != n]
    return result


def _in_order(a: list[str], b: list[str]) -> set[str]:
    """The headers of a longest common subsequence of ``a`` and ``b`` (a table has tens of
    columns: the quadratic table is nothing)."""
    lengths = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) - 1, -1, -1):
        for j in range(len(b) - 1, -1, -1):
            lengths[i][j] = (
                lengths[i + 1][j + 1] + 1
                if a[i] == b[j]
                else max(lengths[i + 1][j], lengths[i][j + 1])
            )
    kept, i, j = set(), 0, 0
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            kept.add(a[i])
            i, j = i + 1, j + 1
        elif lengths[i + 1][j] >= lengths[i][j + 1]:
            i += 1
        else:
            j += 1
    return kept
