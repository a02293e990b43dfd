"""Reading a whole pack and matching it to the cycle's tables: the stored change report.

Plain Python. ``read_pack`` reads every file of the pack (``pack``, ``read``, ``identify``): a
file that is no usable template is skipped with the reason, two files claiming one table are
both refused (a conflict, which blocks the confirmation until the pack is fixed). ``match_pack``
matches the templates to the cycle's tables (``match``) and gives the report as plain JSON, which
``TemplatePack.report`` keeps; ``plan.build_plan`` turns it into what confirming will do.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from collection.schema import RejectedFile
from collection.templatepack import messages as msg
from collection.templatepack.identify import Identity, code_order, identify
from collection.templatepack.match import TableShape, match_tables
from collection.templatepack.pack import Skipped, unpack
from collection.templatepack.read import Template, read_template

REPORT_VERSION = 1


@dataclass
class Read:
    template: Template
    identity: Identity


@dataclass
class PackReading:
    """Every file of a pack, read (see the module docstring)."""

    files: int = 0
    templates: list[Read] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    conflicts: list[tuple[str, list[str]]] = field(default_factory=list)  # (code, files)
    cpu_seconds: float = 0.0

    @property
    def usable(self) -> bool:
        return bool(self.templates)


def read_pack(name: str, content: bytes) -> PackReading:
    """Read every template of a pack; RejectedFile when the pack as a whole is refused (its
    bounds, a damaged zip) or when no file of it is usable (naming the skipped files)."""
    started = time.process_time()
    unpacked = unpack(name, content)
    reading = PackReading(files=len(unpacked.files) + len(unpacked.skipped))
    reading.skipped.extend(unpacked.skipped)
    seen: dict[str, str] = {}
    for item in unpacked.files:
        if item.sha256 in seen:
            reading.skipped.append(
                Skipped(item.name, _(msg.SAME_FILE_TWICE) % {"other": seen[item.sha256]})
            )
            continue
        seen[item.sha256] = item.name
        try:
            template = read_template(item.name, item.content)
        except RejectedFile as exc:
            reading.skipped.append(Skipped(item.name, str(exc)))
            continue
        reading.templates.append(Read(template, identify(item.name, template.sheet_name)))
    _refuse_conflicts(reading)
    reading.cpu_seconds = time.process_time() - started
    if not reading.usable:
        raise RejectedFile(
            _(msg.PACK_NOTHING_USABLE)
            % {"files": "；".join(f"{s.name}（{s.reason}）" for s in reading.skipped) or "—"}
        )
    return reading


def _refuse_conflicts(reading: PackReading) -> None:
    by_code: dict[str, list[Read]] = {}
    for read in reading.templates:
        if read.identity.code:
            by_code.setdefault(read.identity.code, []).append(read)
    for code, claims in sorted(by_code.items(), key=lambda item: code_order(item[0])):
        if len(claims) < 2:
            continue
        files = [c.template.filename for c in claims]
        reading.conflicts.append((code, files))
        for claim in claims:
            other = next(f for f in files if f != claim.template.filename)
            reading.skipped.append(
                Skipped(
                    claim.template.filename,
                    _(msg.TWO_FILES)
                    % {"table": code, "first": claim.template.filename, "second": other},
                )
            )
            reading.templates.remove(claim)


def match_pack(reading: PackReading, cycle: Sequence[TableShape]) -> dict[str, Any]:
    """The change report: the pack's tables with their automatic match and candidates."""
    started = time.process_time()
    shapes = [
        TableShape(
            r.identity.code or f"?{i}",
            r.identity.code,
            r.identity.name,
            tuple(r.template.headers),
        )
        for i, r in enumerate(reading.templates)
    ]
    matches = match_tables(shapes, cycle)
    codes = {c.key: c.code for c in cycle}
    claimed = {r.identity.code for r in reading.templates if r.identity.code}
    skipped = list(reading.skipped)
    tables = []
    for read, shape, found in zip(reading.templates, shapes, matches, strict=True):
        entry = read.template.as_dict()
        code, notes = read.identity.code, list(read.template.notes)
        if read.identity.disagreeing_code:
            notes.insert(
                0,
                _(msg.CODE_DISAGREES)
                % {"file_code": read.identity.disagreeing_code, "sheet_code": code},
            )
        if not code:
            code = codes[found.target] if found.target is not None else ""
            if not code or code in claimed:
                skipped.append(Skipped(read.template.filename, _(msg.NOT_IDENTIFIED)))
                continue
            claimed.add(code)
            notes.insert(0, _(msg.CODE_FROM_MATCH) % {"table": code})
        entry.update(
            code=code,
            name=read.identity.name or shape.name or code,
            code_from=read.identity.code_from or "match",
            notes=notes,
            auto=found.target,
            candidates=[list(c) for c in found.candidates],
        )
        tables.append(entry)
    if not tables:
        raise RejectedFile(
            _(msg.PACK_NOTHING_USABLE)
            % {"files": "；".join(f"{s.name}（{s.reason}）" for s in skipped) or "—"}
        )
    tables.sort(key=lambda t: code_order(t["code"]))
    return {
        "version": REPORT_VERSION,
        "files": reading.files,
        "tables": tables,
        "skipped": [{"file": s.name, "reason": s.reason} for s in skipped],
        "conflicts": [{"code": code, "files": files} for code, files in reading.conflicts],
        "notes": [_(msg.XLS_LISTS)] if any(t["kind"] == "xls" for t in tables) else [],
        "cpu_seconds": {
            "read": round(reading.cpu_seconds, 3),
            "match": round(time.process_time() - started, 3),
        },
    }
