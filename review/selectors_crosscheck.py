"""Reads for showing cross-table checks (the stored ``CrossCheckResult`` of a table report):
the table page's card, the full list, the contribution page's rows of one unit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse

from accounts.models import User
from accounts.roles import CollegeRole, UnitRole
from accounts.selectors import has_college_role, has_unit_role
from collection.models import Contribution, CrossCheckResult, Cycle, TableReport
from collection.services.crosscheck import source_label, stored_findings
from review.access import EVERYTHING, RowScope

CARD_LIMIT = 200


@dataclass
class CrossCheckView:
    result: CrossCheckResult | None
    findings: list[dict[str, Any]] = field(default_factory=list)  # shown (possibly cut)
    total: int = 0
    not_checked: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)  # the other tables read
    own_only: bool = False  # only the viewer's units' findings (an assisting unit)

    @property
    def cut(self) -> bool:
        return self.total > len(self.findings)


def other_table_links(cycle: Cycle, codes: set[str]) -> dict[str, str]:
    """{table code: its table page in ``cycle``} (the table report, else the table's spec)."""
    found = {
        code: reverse("review:report_detail", args=[pk])
        for code, pk in TableReport.objects.filter(
            assignment__cycle=cycle, assignment__table__code__in=codes
        ).values_list("assignment__table__code", "pk")
    }
    for code in codes - set(found):
        found[code] = reverse("collection:table_detail", args=[cycle.year, code])
    return found


def crosscheck_view(
    report: TableReport,
    *,
    unit: str | None = None,
    scope: RowScope = EVERYTHING,
    limit: int | None = CARD_LIMIT,
) -> CrossCheckView:
    """The stored result of ``report`` ready for a page: findings (``unit``: only that unit's
    rows; ``scope``: only the rows the viewer may read, so an assisting unit never sees a
    finding on another unit's row or on the whole table; at most ``limit``) with links to the
    other tables, what was not checked, and where the other tables' data came from."""
    result = CrossCheckResult.objects.filter(report=report).first()
    if result is None:
        return CrossCheckView(None, own_only=not scope.everything)
    findings = [f for f in stored_findings(result, unit) if scope.allows_code(f.get("unit"))]
    shown = findings if limit is None else findings[:limit]
    codes = {c for f in shown for c in f.get("other_tables", ())}
    codes |= {c for n in result.not_checked for c in n.get("tables", ())}
    codes |= {c for c, s in result.sources.items() if not s.get("own")}
    links = other_table_links(report.assignment.cycle, codes)
    for f in shown:
        f["links"] = [(c, links.get(c, "")) for c in f.get("other_tables", ())]
    for n in result.not_checked:
        n["links"] = [(c, links.get(c, "")) for c in n.get("tables", ())]
    sources = [
        {
            "code": code,
            "name": s.get("name", ""),
            "rows": s.get("rows", 0),
            "label": source_label(s.get("kind", "")),
            "url": links.get(code, ""),
        }
        for code, s in result.sources.items()
        if not s.get("own")
    ]
    return CrossCheckView(
        result, shown, len(findings), list(result.not_checked), sources, not scope.everything
    )


def includes_version(result: CrossCheckResult | None, contribution: Contribution) -> bool:
    """Whether the stored result checked this contribution's current version."""
    if result is None or contribution.current_version is None:
        return False
    own = next((s for s in result.sources.values() if s.get("own")), {})
    versions = own.get("versions", {})
    return bool(versions.get(contribution.unit.code) == contribution.current_version.number)


def may_recheck(user: User, report: TableReport) -> bool:
    """The office, the collection group and any role holder of the responsible unit."""
    if has_college_role(user, CollegeRole.OFFICE) or has_college_role(
        user, CollegeRole.COLLECTION_GROUP
    ):
        return True
    unit = report.assignment.responsible_unit
    return any(has_unit_role(user, role, unit) for role in UnitRole)
