"""The permission walk's world and registry (used by tests/test_permission_walk.py).

The world is one small college built through the real services, with the objects in the states
where each action is reachable for the people it belongs to. The registry says, for every URL
name, which objects to try it on, which methods and form data to send, and who must be refused
with what. The expectations are written from the rules (docs/roles.md, DESIGN.md), from the
roles the world *gave* each persona, never from the code under test: that is the point.

A rule returns ALLOWED for a persona who may do it (the walk skips them: it only walks
refusals), 404 where the object must not even be visible, 403 where it is visible but the action
is not allowed. Signed-out and inactive people are always sent to the sign-in page.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from accounts import services as accounts_services
from accounts.models import Notification, Unit, User
from accounts.notifications import webhook_queue
from accounts.roles import CollegeRole, UnitRole
from collection.models import (
    Contribution,
    ContributionState,
    Cycle,
    TableReport,
    TableReportState,
    Upload,
    Version,
)
from collection.sampledata import sample_rows, sample_workbook
from collection.schema import CycleDates, catalog_schemas
from collection.selectors import table_schema
from collection.services.assignments import assignment_set, breakdown_publish
from collection.services.crosscheck import crosscheck_refresh
from collection.services.jobs import upload_job_create
from collection.services.specs import catalog_load
from collection.services.uploads import upload_check
from collection.services.versions import version_create
from review import workflow
from review.models import Signature
from tests.conftest import make_person
from tests.review.conftest import ACADEMIC_ROWS, PHARMACY_ROWS, roster, student

ALLOWED = None
LOGIN = 302
C, R = ContributionState, TableReportState

# Everyone the walk signs in as, plus the two who are never signed in.
PERSONAS = [
    "anonymous",
    "inactive",
    "zhang",
    "li",
    "wang",
    "chen",
    "zhao",
    "sun",
    "xia",
    "han",
    "shao",
    "kong",
    "qian",
    "zhou",
    "wu",
    "zheng",
]
SIGNED_OUT = {"anonymous", "inactive"}

# The personas of tests/conftest.py and tests/review/conftest.py, with the roles they are given:
# the oracle reads this table, not the database.
PEOPLE: dict[str, tuple[str, str, str | None, list[Any]]] = {
    "zhang": ("200301", "张老师", "pharmacy", [(UnitRole.COLLECTOR, "pharmacy")]),
    "li": ("200302", "李老师", "pharmacy", [(UnitRole.SOURCE_REVIEWER, "pharmacy")]),
    "wang": ("200303", "王老师", "pharmacy", [(UnitRole.SOURCE_REVIEWER, "pharmacy")]),
    "chen": ("200304", "陈院长", "pharmacy", [(UnitRole.HEAD, "pharmacy")]),
    "zhao": ("200201", "赵老师", "nursing", [(UnitRole.COLLECTOR, "nursing")]),
    "sun": ("100205", "孙老师", "academic", [(UnitRole.SECOND_REVIEWER, "academic")]),
    "xia": ("101206", "夏主任", "quality", [CollegeRole.OFFICE]),
    "han": ("101207", "韩老师", "quality", [CollegeRole.COLLECTION_GROUP]),
    "shao": ("101209", "邵老师", "quality", [CollegeRole.COLLEGE_REVIEW_GROUP]),
    "kong": ("000001", "孔院长", None, [CollegeRole.LEADERSHIP]),
    "qian": ("100201", "钱老师", "academic", [(UnitRole.COLLECTOR, "academic")]),
    "zhou": ("100202", "周老师", "academic", [(UnitRole.SOURCE_REVIEWER, "academic")]),
    "wu": ("100203", "吴老师", "academic", [(UnitRole.SOURCE_REVIEWER, "academic")]),
    "zheng": ("100204", "郑处长", "academic", [(UnitRole.HEAD, "academic")]),
    # 钱前 collected for 药学院 until the office deactivated her (which revoked the role).
    "inactive": ("200309", "钱前", "pharmacy", [(UnitRole.COLLECTOR, "pharmacy")]),
}

UNITS = {
    "pharmacy": ("2003", "药学院", Unit.Kind.TEACHING),
    "nursing": ("2002", "护理学院", Unit.Kind.TEACHING),
    "academic": ("1002", "教务处", Unit.Kind.FUNCTIONAL),
    "quality": ("1012", "教学质量监控管理处", Unit.Kind.FUNCTIONAL),
}

# The tables of the world: (code, responsible, assisting, state the contributions are left in).
# 表1-6 has real rows; the others are list tables that may be empty, so a header-only file is a
# clean version and any state is reachable.
TABLES = {
    "drafting": ("表1-6", "academic", ["pharmacy"]),
    "source_review": ("表1-4-2", "academic", ["pharmacy"]),
    "head_signoff": ("表1-5-4", "academic", ["pharmacy"]),
    "delivered": ("表3-3-1", "academic", ["pharmacy"]),
    # 护理学院 is responsible: 教务处's people are outsiders here.
    "nursing": ("表3-3-2", "nursing", ["pharmacy"]),
    # A single-record table (filled online), drafting, nothing filled yet.
    "single": ("表1-1", "academic", ["pharmacy"]),
}


def header_only(code: str) -> bytes:
    book = Workbook()
    sheet = book.active
    schema = catalog_schemas()[code]
    sheet.title = schema.sheet_name
    sheet.append(schema.headers)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@dataclass
class World:
    people: dict[str, User]
    units: dict[str, Unit]
    cycle: Cycle
    contributions: dict[str, Contribution]  # "<table key>/<unit key>"
    reports: dict[str, TableReport]
    uploads: dict[str, Upload]
    extra: dict[str, Any] = field(default_factory=dict)

    # The oracle: what the world gave each persona.
    def unit_roles(self, persona: str) -> set[tuple[int, UnitRole]]:
        if persona in SIGNED_OUT:
            return set()
        return {
            (self.units[unit].pk, role)
            for role_unit in PEOPLE[persona][3]
            if isinstance(role_unit, tuple)
            for role, unit in [role_unit]
        }

    def college_roles(self, persona: str) -> set[CollegeRole]:
        if persona in SIGNED_OUT:
            return set()
        return {r for r in PEOPLE[persona][3] if isinstance(r, CollegeRole)}

    def holds(self, persona: str, unit_id: int, *roles: UnitRole) -> bool:
        return any((unit_id, role) in self.unit_roles(persona) for role in roles)

    def holds_any_role_in(self, persona: str, unit_ids: set[int]) -> bool:
        return any(unit_id in unit_ids for unit_id, _role in self.unit_roles(persona))

    def is_office(self, persona: str) -> bool:
        return CollegeRole.OFFICE in self.college_roles(persona)

    def member_of(self, persona: str) -> int | None:
        unit = PEOPLE[persona][2]
        return self.units[unit].pk if unit else None


def build_world() -> World:
    """The college of the walk, through the real services (the caller holds the transaction)."""
    units = {
        key: accounts_services.unit_create(actor=None, code=code, name=name, kind=kind)
        for key, (code, name, kind) in UNITS.items()
    }
    people: dict[str, User] = {}
    for key, (username, name, unit, roles) in PEOPLE.items():
        person = make_person(username, name, units[unit] if unit else None)
        for role in roles:
            if isinstance(role, tuple):
                accounts_services.role_assign(
                    actor=None, user=person, role=role[0], unit=units[role[1]]
                )
            else:
                accounts_services.role_assign(actor=None, user=person, role=role)
        people[key] = person
    gone = people["inactive"]
    people["inactive"] = accounts_services.person_update(
        actor=people["xia"], person=gone, name=gone.name, unit=gone.unit, is_active=False
    )
    cycle, _added = catalog_load(actor=people["xia"], year=2026)
    for code, responsible, assisting in TABLES.values():
        assignment_set(
            actor=people["xia"],
            cycle=cycle,
            table=cycle.tables.get(code=code),
            responsible_unit=units[responsible],
            assisting_units=[units[u] for u in assisting],
        )
    breakdown_publish(actor=people["xia"], cycle=cycle)
    contributions = {
        f"{key}/{unit_key}": Contribution.objects.get(
            assignment__cycle=cycle, assignment__table__code=code, unit=units[unit_key]
        )
        for key, (code, responsible, assisting) in TABLES.items()
        for unit_key in [responsible, *assisting]
    }
    reports = {
        key: TableReport.objects.get(assignment__cycle=cycle, assignment__table__code=code)
        for key, (code, _r, _a) in TABLES.items()
    }
    p, c = people, contributions
    crews = {  # collector, reviewers, head
        "pharmacy": (p["zhang"], [p["li"], p["wang"]], p["chen"]),
        "academic": (p["qian"], [p["zhou"], p["wu"]], p["zheng"]),
    }
    version_create(
        actor=p["zhang"],
        contribution=c["drafting/pharmacy"],
        content=roster(PHARMACY_ROWS),
        filename="药学院.xlsx",
    )
    version_create(
        actor=p["qian"],
        contribution=c["drafting/academic"],
        content=roster(ACADEMIC_ROWS),
        filename="教务处.xlsx",
    )
    for state in ("source_review", "head_signoff", "delivered"):
        code = TABLES[state][0]
        for unit_key, (collector, reviewers, head) in crews.items():
            contribution = c[f"{state}/{unit_key}"]
            # 表3-3-1 is delivered with real rows: 药学院 assists and must read only its own.
            content = talent_book(unit_key) if state == "delivered" else header_only(code)
            version_create(
                actor=collector,
                contribution=contribution,
                content=content,
                filename=f"{code}.xlsx",
            )
            workflow.contribution_submit(actor=collector, contribution=contribution)
            approvals = reviewers[:1] if state == "source_review" else reviewers
            for reviewer in approvals:
                workflow.contribution_approve(actor=reviewer, contribution=contribution)
            if state == "delivered":
                workflow.contribution_sign(actor=head, contribution=contribution)
    # 表3-3-2: 药学院 has submitted its (empty) list; 护理学院 is still drafting.
    version_create(
        actor=p["zhang"],
        contribution=c["nursing/pharmacy"],
        content=header_only("表3-3-2"),
        filename="表3-3-2.xlsx",
    )
    workflow.contribution_submit(actor=p["zhang"], contribution=c["nursing/pharmacy"])
    version_create(
        actor=p["zhao"],
        contribution=c["nursing/nursing"],
        content=header_only("表3-3-2"),
        filename="表3-3-2.xlsx",
    )
    check = upload_check(
        actor=p["zhao"],
        cycle=cycle,
        schema=catalog_schemas()["表1-6"],
        dates=cycle.dates(),
        content=roster(PHARMACY_ROWS),
        filename="自查.xlsx",
    ).upload
    # A background check of a large file on each side of 表1-6: queued, and never run (the
    # transaction around the world is never committed), so stopped once it is stale.
    jobs = {
        unit_key: upload_job_create(
            actor=crews[unit_key][0],
            contribution=c[f"drafting/{unit_key}"],
            file=SimpleUploadedFile("大名单.xlsx", roster(PHARMACY_ROWS)),
        )
        for unit_key in crews
    }
    # The delivered table checked against the other tables: its findings quote each unit's
    # 工号 and 姓名 (表1-5-1 is not collected, so every row is an error).
    crosscheck_refresh(reports["delivered"])
    previous = last_year(people["xia"], cycle, units)
    outbox = webhook_queue(
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=walk", title="走查", text="走查"
    )
    for contribution in c.values():
        contribution.refresh_from_db()
    uploads = {
        "zhao's check": check,
        "zhang's version": c["drafting/pharmacy"].current_version.upload,  # type: ignore[union-attr]
    }
    extra = {
        "jobs": jobs,
        "outbox": outbox,
        "notification": Notification.objects.filter(recipient=p["zhang"]).first(),
        "last_year_reports": {
            report.assignment.table.code: report
            for report in TableReport.objects.filter(assignment__cycle=previous)
        },
        "signatures": {
            key: Signature.objects.get(contribution=c[f"delivered/{key}"]) for key in crews
        },
    }
    return World(people, units, cycle, c, reports, uploads, extra)


# What other units hold: 药学院's people must never receive any of these ------------------------

# 表3-3-1 (高层次人才) this year: 教务处 is responsible, 药学院 assists; both delivered.
TALENTS = {
    "pharmacy": [["7320001", "药学甲"], ["7320002", "药学乙"]],
    "academic": [["7310001", "欧阳教一"], ["7310002", "欧阳教二"]],
}
# Last year's approved rows of 表1-6 and 表3-3-1 with their 来源单位 (药学院's are this year's).
LAST_YEAR_STUDENTS = {
    "药学院": PHARMACY_ROWS,
    "教务处": ACADEMIC_ROWS,
    "护理学院": [student("2022200001", "护理甲"), student("2022200002", "护理乙")],
}
LAST_YEAR_TALENTS = {
    "药学院": TALENTS["pharmacy"],
    "教务处": TALENTS["academic"],
    "护理学院": [["7330001", "护理丙"]],
}
# Key values (and names) of the rows that are not 药学院's, in either year.
OTHER_UNITS_VALUES = sorted(
    {row[0] for unit, rows in LAST_YEAR_STUDENTS.items() if unit != "药学院" for row in rows}
    | {row[1] for unit, rows in LAST_YEAR_STUDENTS.items() if unit != "药学院" for row in rows}
    | {
        v
        for unit, rows in LAST_YEAR_TALENTS.items()
        if unit != "药学院"
        for row in rows
        for v in row
    }
)
OWN_VALUES = sorted({row[0] for row in PHARMACY_ROWS} | {row[0] for row in TALENTS["pharmacy"]})


def talent_rows(people: list[list[str]], year: int) -> list[list[str]]:
    schema = catalog_schemas()["表3-3-1"]
    rows = sample_rows(schema, CycleDates.for_year(year), len(people))
    return [[number, name, *row[2:]] for (number, name), row in zip(people, rows, strict=True)]


def talent_book(unit_key: str) -> bytes:
    schema = catalog_schemas()["表3-3-1"]
    return sample_workbook(schema, talent_rows(TALENTS[unit_key], 2026))


def last_year(office: User, cycle: Cycle, units: dict[str, Unit]) -> Cycle:
    """2025, the previous cycle: 表1-6 and 表3-3-1 approved with 教务处's, 药学院's and
    护理学院's rows (their 来源单位 names), as the workflow stores an approved table (left open,
    so that the office's import of last year's package stays a live action of the walk)."""
    previous, _added = catalog_load(actor=office, year=2025)
    tables = {"表1-6": LAST_YEAR_STUDENTS, "表3-3-1": LAST_YEAR_TALENTS}
    for code in tables:
        assignment_set(
            actor=office,
            cycle=previous,
            table=previous.tables.get(code=code),
            responsible_unit=units["academic"],
            assisting_units=[units["pharmacy"], units["nursing"]],
        )
    breakdown_publish(actor=office, cycle=previous)
    for code, by_unit in tables.items():
        schema = catalog_schemas()[code]
        rows = [
            [*(row if code == "表1-6" else talent_rows([row], 2025)[0]), unit]
            for unit, unit_rows in by_unit.items()
            for row in unit_rows
        ]
        workflow.table_report_import_approved(
            actor=office,
            report=TableReport.objects.get(
                assignment__cycle=previous, assignment__table__code=code
            ),
            headers=[*schema.headers, "来源单位"],
            rows=rows,
        )
    cycle.previous = previous
    cycle.save(update_fields=["previous"])
    return previous


# Targets and entries -----------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    label: str
    kwargs: dict[str, Any]
    obj: Any = None
    query: str = ""  # appended to the URL, e.g. "?unit=3"
    # Run (inside the test's transaction) before this target is walked: moves the world on to
    # the state where the action is reachable. Targets are walked in order.
    setup: Callable[[World], None] | None = None


Rule = Callable[[World, str, Target, str], "int | None"]
Data = Callable[[World, Target], dict[str, Any]]


@dataclass(frozen=True)
class Entry:
    targets: Callable[[World], list[Target]]
    rule: Rule
    methods: tuple[str, ...] = ("GET",)  # the methods the view accepts
    data: Data = lambda w, t: {}


def refuse(visible: bool) -> int:
    return 403 if visible else 404


def xlsx_file(content: bytes, name: str = "名单.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


# Rules -----------------------------------------------------------------------------------------


def everyone_signed_in(w: World, p: str, t: Target, method: str) -> int | None:
    """Read pages: anyone signed in (cycles, specs, templates, the breakdown grid)."""
    return ALLOWED


def office_only(w: World, p: str, t: Target, method: str) -> int | None:
    return ALLOWED if w.is_office(p) else 403


def read_or_office(w: World, p: str, t: Target, method: str) -> int | None:
    """Anyone signed in reads (GET); only the office changes (POST)."""
    return ALLOWED if method == "GET" or w.is_office(p) else 403


def sees_contribution(w: World, p: str, c: Contribution) -> bool:
    """A role in its unit or in the responsible unit, or any college-wide role."""
    units = {c.unit_id, c.assignment.responsible_unit_id}
    return bool(w.college_roles(p)) or w.holds_any_role_in(p, units)


def contribution_rule(*roles: UnitRole) -> Rule:
    """Only ``roles`` of the contribution's own unit act; others see it (403) or not (404)."""

    def rule(w: World, p: str, t: Target, method: str) -> int | None:
        c: Contribution = t.obj
        if w.holds(p, c.unit_id, *roles):
            return ALLOWED
        return refuse(sees_contribution(w, p, c))

    return rule


def contribution_detail_rule(w: World, p: str, t: Target, method: str) -> int | None:
    return ALLOWED if sees_contribution(w, p, t.obj) else 404


def contribution_return_rule(w: World, p: str, t: Target, method: str) -> int | None:
    """Reviewers and the head return from source review and sign-off; the responsible unit's
    collector or second reviewer returns delivered data."""
    c: Contribution = t.obj
    if c.state == C.DELIVERED:
        allowed = w.holds(
            p, c.assignment.responsible_unit_id, UnitRole.COLLECTOR, UnitRole.SECOND_REVIEWER
        )
    else:
        allowed = w.holds(p, c.unit_id, UnitRole.SOURCE_REVIEWER, UnitRole.HEAD)
    return ALLOWED if allowed else refuse(sees_contribution(w, p, c))


def unit_templates_rule(w: World, p: str, t: Target, method: str) -> int | None:
    """A unit's templates: its members and role holders, and the office."""
    unit: Unit = t.obj
    mine = w.holds_any_role_in(p, {unit.pk}) or w.member_of(p) == unit.pk
    return ALLOWED if mine or w.is_office(p) else 404


def own_upload_rule(w: World, p: str, t: Target, method: str) -> int | None:
    """A checked file's findings: whoever uploaded it, and the office. A contribution's upload
    (a version's) follows the contribution now, whoever uploaded it (redirected to its pages)."""
    upload: Upload = t.obj
    version = Version.objects.filter(upload=upload).select_related("contribution").first()
    if version is not None:
        return ALLOWED if sees_contribution(w, p, version.contribution) else 404
    return ALLOWED if upload.uploaded_by_id == w.people[p].pk or w.is_office(p) else 404


def sees_report(w: World, p: str, r: TableReport) -> bool:
    """A role in the responsible unit or in an assisting unit, or any college-wide role."""
    a = r.assignment
    units = {a.responsible_unit_id, *a.assisting_units.values_list("pk", flat=True)}
    return bool(w.college_roles(p)) or w.holds_any_role_in(p, units)


def report_detail_rule(w: World, p: str, t: Target, method: str) -> int | None:
    return ALLOWED if sees_report(w, p, t.obj) else 404


def report_responsible_rule(w: World, p: str, t: Target, method: str) -> int | None:
    """Starting the second review, keeping one side of a conflict: the responsible unit's
    collector or second reviewer."""
    r: TableReport = t.obj
    mine = w.holds(
        p, r.assignment.responsible_unit_id, UnitRole.COLLECTOR, UnitRole.SECOND_REVIEWER
    )
    return ALLOWED if mine else refuse(sees_report(w, p, r))


def stage_holder(w: World, p: str, r: TableReport) -> bool:
    r.refresh_from_db(fields=["state"])
    if r.state == R.SECOND_REVIEW:
        return w.holds(p, r.assignment.responsible_unit_id, UnitRole.SECOND_REVIEWER)
    group = {
        R.COLLECTION_CHECK: CollegeRole.COLLECTION_GROUP,
        R.COLLEGE_REVIEW: CollegeRole.COLLEGE_REVIEW_GROUP,
    }[R(r.state)]
    return group in w.college_roles(p)


def report_stage_rule(w: World, p: str, t: Target, method: str) -> int | None:
    """Approve or return a table: whoever holds its current stage."""
    return ALLOWED if stage_holder(w, p, t.obj) else refuse(sees_report(w, p, t.obj))


def conflict_return_rule(w: World, p: str, t: Target, method: str) -> int | None:
    """While the table is the responsible unit's, its collector or second reviewer returns a
    delivered contribution; later the stage holder."""
    r: TableReport = t.obj
    r.refresh_from_db(fields=["state"])
    if r.state in (R.COLLECTING, R.SECOND_REVIEW):
        return report_responsible_rule(w, p, t, method)
    return report_stage_rule(w, p, t, method)


def report_office_rule(w: World, p: str, t: Target, method: str) -> int | None:
    return ALLOWED if w.is_office(p) else refuse(sees_report(w, p, t.obj))


def signature_rule(w: World, p: str, t: Target, method: str) -> int | None:
    """The verify page of a signature: whoever sees its contribution."""
    return ALLOWED if sees_contribution(w, p, t.obj.contribution) else 404


def paper_check_rule(w: World, p: str, t: Target, method: str) -> int | None:
    """Recording that a paper copy matches: the collection group."""
    if CollegeRole.COLLECTION_GROUP in w.college_roles(p):
        return ALLOWED
    return refuse(sees_contribution(w, p, t.obj.contribution))


def job_rule(*roles: UnitRole) -> Rule:
    """A contribution's upload job: seen with the contribution, retried by its collector."""

    def rule(w: World, p: str, t: Target, method: str) -> int | None:
        c = t.obj.contribution
        if not roles:
            return ALLOWED if sees_contribution(w, p, c) else 404
        return ALLOWED if w.holds(p, c.unit_id, *roles) else refuse(sees_contribution(w, p, c))

    return rule


def bulk_rule(w: World, p: str, t: Target, method: str) -> int | None:
    """Bulk approval: the collection group and the college review group."""
    groups = {CollegeRole.COLLECTION_GROUP, CollegeRole.COLLEGE_REVIEW_GROUP}
    return ALLOWED if groups & w.college_roles(p) else 403


def audit_rule(w: World, p: str, t: Target, method: str) -> int | None:
    """The audit trail: the office and the college leadership."""
    readers = {CollegeRole.OFFICE, CollegeRole.LEADERSHIP}
    return ALLOWED if readers & w.college_roles(p) else 403


def dashboard_rule(w: World, p: str, t: Target, method: str) -> int | None:
    """The progress dashboard: the college-wide roles, and unit heads (their own unit only,
    whatever ``?unit=`` asks for)."""
    if w.college_roles(p) or any(role == UnitRole.HEAD for _u, role in w.unit_roles(p)):
        return ALLOWED
    return 403


def own_notification_rule(w: World, p: str, t: Target, method: str) -> int | None:
    return ALLOWED if t.obj.recipient_id == w.people[p].pk else 404


# Targets ---------------------------------------------------------------------------------------


def contributions_in(*states: str) -> Callable[[World], list[Target]]:
    """Every contribution of the world left in one of ``states`` (by the TABLES keys)."""

    def targets(w: World) -> list[Target]:
        return [
            Target(f"{key} ({c.unit.name}, {c.state})", {"pk": c.pk}, c)
            for key, c in w.contributions.items()
            if c.state in states
        ]

    return targets


def list_contributions_in(*states: str) -> Callable[[World], list[Target]]:
    """As ``contributions_in``, list tables only (rows edited online)."""

    def targets(w: World) -> list[Target]:
        return [
            Target(f"{key} ({c.unit.name}, {c.state})", {"pk": c.pk}, c)
            for key, c in w.contributions.items()
            if c.state in states and not key.startswith("single/")
        ]

    return targets


def single_contributions(w: World) -> list[Target]:
    return [
        Target(f"{key} ({c.unit.name}, {c.state})", {"pk": c.pk}, c)
        for key, c in w.contributions.items()
        if key.startswith("single/")
    ]


def first_row_of(*states: str) -> Callable[[World], list[Target]]:
    def targets(w: World) -> list[Target]:
        return [
            Target(t.label, {**t.kwargs, "index": 1}, t.obj)
            for t in list_contributions_in(*states)(w)
        ]

    return targets


def first_versions(w: World) -> list[Target]:
    return [
        Target(f"{key} v1", {"pk": c.pk, "number": 1}, c)
        for key, c in w.contributions.items()
        if c.current_version_id
    ]


def jobs(w: World) -> list[Target]:
    return [
        Target(f"{key}'s job", {"pk": job.contribution_id, "job_pk": job.pk}, job)
        for key, job in w.extra["jobs"].items()
    ]


def signed(w: World) -> list[Target]:
    return [
        Target(f"signature of {key}", {"pk": s.pk}, s) for key, s in w.extra["signatures"].items()
    ]


def signed_hash(w: World) -> list[Target]:
    return [
        Target(t.label, {**t.kwargs, "content_hash": t.obj.content_hash}, t.obj) for t in signed(w)
    ]


def sign_off_sheets(w: World) -> list[Target]:
    return contributions_in(C.HEAD_SIGNOFF, C.DELIVERED)(w)


def _report_target(w: World, key: str, label: str, setup: Any = None) -> Target:
    r = w.reports[key]
    return Target(f"{key} report {label}", {"pk": r.pk}, r, setup=setup)


def _to(*steps: str) -> Callable[[World], None]:
    """Move the report of 表3-3-1 (every unit delivered) on, as the rightful people would."""

    def setup(w: World) -> None:
        r, p = w.reports["delivered"], w.people
        for step in steps:
            if step == "start":
                workflow.table_report_start_second_review(actor=p["sun"], report=r)
            else:
                workflow.table_report_approve(actor=p[step], report=r)

    return setup


def report_at_collecting(w: World) -> list[Target]:
    """Every unit delivered (表3-3-1), and 护理学院's table where one has not."""
    return [
        _report_target(w, "delivered", "at collecting"),
        _report_target(w, "nursing", "at collecting"),
    ]


def report_at_stages(w: World) -> list[Target]:
    """The 表3-3-1 report at each stage that someone approves or returns, in turn."""
    return [
        _report_target(w, "delivered", "at second_review", _to("start")),
        _report_target(w, "delivered", "at collection_check", _to("sun")),
        _report_target(w, "delivered", "at college_review", _to("han")),
    ]


def report_resolvable(w: World) -> list[Target]:
    return [
        *report_at_collecting(w),
        _report_target(w, "delivered", "at second_review", _to("start")),
    ]


def report_approved(w: World) -> list[Target]:
    return [_report_target(w, "delivered", "approved", _to("start", "sun", "han", "shao"))]


def every_report(w: World) -> list[Target]:
    return [_report_target(w, key, r.state) for key, r in w.reports.items()]


def outbox_message(w: World) -> list[Target]:
    return [Target("webhook message", {"pk": w.extra["outbox"].pk}, w.extra["outbox"])]


def zhang_notification(w: World) -> list[Target]:
    n = w.extra["notification"]
    return [Target("张老师's notification", {"pk": n.pk}, n)]


def dashboards(w: World) -> list[Target]:
    """The cycle's dashboard, and the same asking for 护理学院's part."""
    kwargs, nursing = {"year": w.cycle.year}, w.units["nursing"]
    return [
        Target("2026", kwargs, w.cycle),
        Target("2026 ?unit=护理学院", kwargs, nursing, f"?unit={nursing.pk}"),
    ]


def all_contributions(w: World) -> list[Target]:
    return [
        Target(f"{key} ({c.unit.name}, {c.state})", {"pk": c.pk}, c)
        for key, c in w.contributions.items()
    ]


def nursing_unit(w: World) -> list[Target]:
    return [Target("护理学院", {"pk": w.units["nursing"].pk}, w.units["nursing"])]


def zhao_person(w: World) -> list[Target]:
    return [Target("赵老师", {"pk": w.people["zhao"].pk}, w.people["zhao"])]


def no_args(w: World) -> list[Target]:
    return [Target("-", {})]


def the_cycle(w: World) -> list[Target]:
    return [Target("2026", {"year": w.cycle.year}, w.cycle)]


def the_table(w: World) -> list[Target]:
    return [Target("2026 表1-6", {"year": w.cycle.year, "code": "表1-6"})]


def a_field(w: World) -> list[Target]:
    field_spec = w.cycle.tables.get(code="表1-6").fields.order_by("position").first()
    return [Target("表1-6 学号", {"year": w.cycle.year, "code": "表1-6", "pk": field_spec.pk})]


def sheet_kinds(w: World) -> list[Target]:
    return [Target(kind, {"kind": kind}) for kind in ("units", "people")]


def every_unit(w: World) -> list[Target]:
    return [
        Target(unit.name, {"year": w.cycle.year, "unit_id": unit.pk}, unit)
        for unit in w.units.values()
    ]


def every_upload(w: World) -> list[Target]:
    return [Target(label, {"pk": upload.pk}, upload) for label, upload in w.uploads.items()]


# Form data -------------------------------------------------------------------------------------


def upload_data(w: World, t: Target) -> dict[str, Any]:
    return {"file": xlsx_file(roster(PHARMACY_ROWS))}


def explain_data(w: World, t: Target) -> dict[str, Any]:
    return {"version": t.obj.current_version_id or 0, "finding_key": "学生姓名|2", "text": "复姓"}


def reason_data(w: World, t: Target) -> dict[str, Any]:
    """A reason and one cell remark on a column the table has."""
    obj = t.obj
    table = (obj.assignment if isinstance(obj, (Contribution, TableReport)) else obj).table
    return {
        "reason": "数据有误，请核对后重新上传。",
        "remark_row": ["1"],
        "remark_column": [table_schema(table).headers[0]],
        "remark_text": ["请核对"],
    }


def unit_data(w: World, t: Target) -> dict[str, Any]:
    return {"code": "2009", "name": "走查学院", "kind": Unit.Kind.TEACHING, "active": "on"}


def unit_role_data(w: World, t: Target) -> dict[str, Any]:
    return {"user": w.people["zhang"].pk, "role": UnitRole.HEAD}


def person_data(w: World, t: Target) -> dict[str, Any]:
    return {
        "username": "200999",
        "name": "走查人",
        "unit": w.units["nursing"].pk,
        "phone": "",
        "email": "",
        "password": "Walk-pass-2026",
    }


def person_edit_data(w: World, t: Target) -> dict[str, Any]:
    return {"name": "赵老师改", "unit": w.units["pharmacy"].pk, "phone": "", "email": ""}


def person_role_data(w: World, t: Target) -> dict[str, Any]:
    return {"unit": w.units["pharmacy"].pk, "role": UnitRole.SOURCE_REVIEWER}


def role_revoke_data(w: World, t: Target) -> dict[str, Any]:
    return {"user": w.people["zhao"].pk, "unit": w.units["nursing"].pk, "role": "collector"}


def password_data(w: World, t: Target) -> dict[str, Any]:
    return {"password": "Walk-pass-2026"}


def sheet_data(w: World, t: Target) -> dict[str, Any]:
    book = Workbook()
    sheet = book.active
    if t.kwargs.get("kind") == "people":
        sheet.append(["工号", "姓名", "单位号", "单位名称", "手机", "邮箱", "是否启用", "单位角色"])
        sheet.append(["200201", "赵老师", "2003", "", "", "", "是", "数据采集员"])
    else:
        sheet.append(["单位号", "单位名称", "单位类型", "是否启用"])
        sheet.append(["2002", "护理学院改", "教学单位", "否"])
    out = io.BytesIO()
    book.save(out)
    return {"file": xlsx_file(out.getvalue(), "sheet.xlsx"), "initial_password": "Walk-pass-2026"}


def token_data(w: World, t: Target) -> dict[str, Any]:
    return {"token": "0" * 32}


def cycle_create_data(w: World, t: Target) -> dict[str, Any]:
    return {"year": 2027, "previous": w.cycle.pk}


def cycle_dates_data(w: World, t: Target) -> dict[str, Any]:
    return {
        "snapshot_date": "2026-09-30",
        "academic_start": "2025-09-01",
        "academic_end": "2026-08-31",
        "natural_start": "2025-01-01",
        "natural_end": "2025-12-31",
        "deployment_deadline": "2026-10-10",
        "collection_deadline": "2026-10-31",
        "review_deadline": "2026-11-30",
        "dependency_mode": "block",
    }


def advance_data(w: World, t: Target) -> dict[str, Any]:
    return {"reason": "走查"}


def field_data(w: World, t: Target) -> dict[str, Any]:
    return {"required": "", "max_len": "3", "format": "", "multi": "", "help": "走查", "codes": ""}


def refresh_data(w: World, t: Target) -> dict[str, Any]:
    return {"file": xlsx_file(header_only("表1-6"), "空白模板.xlsx")}


def breakdown_row_data(w: World, t: Target) -> dict[str, Any]:
    return {
        "responsible_unit": w.units["nursing"].pk,
        "assisting_units": [w.units["pharmacy"].pk],
        "assisting_deadline": "2026-10-10",
        "responsible_deadline": "2026-10-20",
        "notes": "走查",
    }


def a_template_pack(w: World) -> list[Target]:
    """A template pack waiting for confirmation in 2026 (one template: 表1-6's header row)."""
    from collection.templatepack.services import pack_prepare, template_pack_upload

    pack = template_pack_upload(
        actor=w.people["xia"],
        cycle=w.cycle,
        prepared=pack_prepare([("表1-6 本科生基本情况.xlsx", header_only("表1-6"))]),
    )
    return [Target("2026 pack", {"year": w.cycle.year, "pk": pack.pk}, pack)]


def template_pack_data(w: World, t: Target) -> dict[str, Any]:
    return {"templates": xlsx_file(header_only("表1-6"), "表1-6 本科生基本情况.xlsx")}


def breakdown_sheet_data(w: World, t: Target) -> dict[str, Any]:
    book = Workbook()
    sheet = book.active
    sheet.append(["序号", "表号", "表名", "统计时间类型", "责任单位", "协助单位"])
    sheet.append([1, "表1-6", "本科生名单", "时点", "护理学院", "药学院"])
    out = io.BytesIO()
    book.save(out)
    return {"file": xlsx_file(out.getvalue(), "分工表.xlsx")}


# The registry ----------------------------------------------------------------------------------

POST = ("POST",)
GET_POST = ("GET", "POST")
U = UnitRole

REGISTRY: dict[str, Entry] = {
    # Office pages (accounts/views/office.py, io.py): the office only, 403 for everyone else.
    "accounts:unit_list": Entry(no_args, office_only),
    "accounts:unit_create": Entry(no_args, office_only, GET_POST, unit_data),
    "accounts:unit_detail": Entry(nursing_unit, office_only),
    "accounts:unit_edit": Entry(nursing_unit, office_only, GET_POST, unit_data),
    "accounts:unit_role_assign": Entry(nursing_unit, office_only, POST, unit_role_data),
    "accounts:person_list": Entry(no_args, office_only),
    "accounts:person_create": Entry(no_args, office_only, GET_POST, person_data),
    "accounts:person_detail": Entry(zhao_person, office_only, GET_POST, person_edit_data),
    "accounts:person_role_assign": Entry(zhao_person, office_only, POST, person_role_data),
    "accounts:role_revoke": Entry(zhao_person, office_only, POST, role_revoke_data),
    "accounts:person_password_reset": Entry(zhao_person, office_only, POST, password_data),
    "accounts:person_unlock": Entry(zhao_person, office_only, POST),
    "accounts:role_overview": Entry(no_args, office_only),
    "accounts:sheet_import": Entry(sheet_kinds, office_only, GET_POST, sheet_data),
    "accounts:sheet_import_confirm": Entry(sheet_kinds, office_only, POST, token_data),
    "accounts:sheet_export": Entry(sheet_kinds, office_only),
    # Cycles, specs and templates (collection/views.py): read by all, changed by the office.
    "collection:cycle_list": Entry(no_args, everyone_signed_in),
    "collection:cycle_create": Entry(no_args, office_only, POST, cycle_create_data),
    "collection:cycle_changes": Entry(the_cycle, everyone_signed_in),
    "collection:cycle_templates": Entry(the_cycle, everyone_signed_in),
    "collection:cycle_supplements": Entry(
        the_cycle, office_only, POST, lambda w, t: {"supplements": ["medical"]}
    ),
    "collection:unit_templates": Entry(every_unit, unit_templates_rule),
    "collection:table_detail": Entry(the_table, everyone_signed_in),
    "collection:table_template": Entry(the_table, everyone_signed_in),
    "collection:field_edit": Entry(a_field, office_only, GET_POST, field_data),
    "collection:table_refresh": Entry(the_table, office_only, GET_POST, refresh_data),
    # The 校验 page's results: the uploader's own, and the office's.
    "collection:check_result": Entry(every_upload, own_upload_rule),
    "collection:check_annotated": Entry(every_upload, own_upload_rule),
    # The task breakdown (collection/views_breakdown.py).
    "collection:breakdown": Entry(the_cycle, everyone_signed_in),
    "collection:breakdown_export": Entry(the_cycle, everyone_signed_in),
    "collection:breakdown_import": Entry(the_cycle, office_only, GET_POST, breakdown_sheet_data),
    "collection:breakdown_import_confirm": Entry(the_cycle, office_only, POST, token_data),
    "collection:breakdown_publish": Entry(the_cycle, office_only, POST),
    "collection:breakdown_row": Entry(
        lambda w: [Target("2026 表1-6", {"year": w.cycle.year, "code": "表1-6"})],
        office_only,
        GET_POST,
        breakdown_row_data,
    ),
    # The year's template pack (collection/views_templatepack.py): the office only.
    "collection:templatepack_upload": Entry(the_cycle, office_only, GET_POST, template_pack_data),
    "collection:templatepack_report": Entry(a_template_pack, office_only),
    "collection:templatepack_match": Entry(
        a_template_pack, office_only, POST, lambda w, t: {"match-0": "new"}
    ),
    "collection:templatepack_confirm": Entry(a_template_pack, office_only, POST, token_data),
    "collection:templatepack_discard": Entry(a_template_pack, office_only, POST),
    # The cycle page (review/views.py): everyone reads, the office edits and advances.
    "review:cycle_detail": Entry(the_cycle, read_or_office, GET_POST, cycle_dates_data),
    "review:cycle_advance": Entry(the_cycle, office_only, POST, advance_data),
    # Contributions (review/views_contribution.py), on the states where each action is live.
    "review:contribution_detail": Entry(all_contributions, contribution_detail_rule),
    "review:contribution_upload": Entry(
        contributions_in(C.DRAFTING), contribution_rule(U.COLLECTOR), POST, upload_data
    ),
    "review:contribution_explain": Entry(
        list_contributions_in(C.DRAFTING), contribution_rule(U.COLLECTOR), POST, explain_data
    ),
    "review:contribution_submit": Entry(
        contributions_in(C.DRAFTING), contribution_rule(U.COLLECTOR), POST
    ),
    "review:contribution_approve": Entry(
        contributions_in(C.SOURCE_REVIEW), contribution_rule(U.SOURCE_REVIEWER), POST
    ),
    "review:contribution_sign": Entry(
        contributions_in(C.HEAD_SIGNOFF), contribution_rule(U.HEAD), POST
    ),
    "review:contribution_return": Entry(
        contributions_in(C.SOURCE_REVIEW, C.HEAD_SIGNOFF, C.DELIVERED),
        contribution_return_rule,
        POST,
        reason_data,
    ),
}

REGISTRY.update(
    {
        # Contributions, continued: background checks and version files (views_upload.py).
        "review:contribution_jobs": Entry(contributions_in(C.DRAFTING), contribution_detail_rule),
        "review:upload_job_status": Entry(jobs, job_rule()),
        "review:upload_job_retry": Entry(jobs, job_rule(U.COLLECTOR), POST),
        "review:version_file": Entry(first_versions, contribution_detail_rule),
        "review:version_annotated": Entry(first_versions, contribution_detail_rule),
        # Online editing and comparing (views_online.py).
        "review:contribution_fill": Entry(
            single_contributions,
            contribution_rule(U.COLLECTOR),
            GET_POST,
            lambda w, t: {"version": 0, "学校名称": "齐鲁医药学院"},
        ),
        "review:contribution_rows": Entry(
            list_contributions_in(C.DRAFTING), contribution_detail_rule
        ),
        "review:contribution_row_add": Entry(
            list_contributions_in(C.DRAFTING),
            contribution_rule(U.COLLECTOR),
            GET_POST,
            lambda w, t: {"version": 1, "学号": "2023000009", "姓名": "走查"},
        ),
        "review:contribution_row_edit": Entry(
            first_row_of(C.DRAFTING),
            contribution_rule(U.COLLECTOR),
            GET_POST,
            lambda w, t: {"version": 1, "学号": "2023000009", "姓名": "走查"},
        ),
        "review:contribution_row_delete": Entry(
            first_row_of(C.DRAFTING),
            contribution_rule(U.COLLECTOR),
            POST,
            lambda w, t: {"version": 1},
        ),
        "review:contribution_compare": Entry(all_contributions, contribution_detail_rule),
        # The sign-off sheet and verify pages (views_signoff.py).
        "review:signoff_sheet": Entry(sign_off_sheets, contribution_detail_rule),
        "review:signoff_verify_start": Entry(no_args, everyone_signed_in),
        "review:signoff_verify_form": Entry(signed, signature_rule),
        "review:signoff_verify": Entry(signed_hash, signature_rule),
        "review:signoff_paper_check": Entry(signed_hash, paper_check_rule, POST),
        # Table reports (views_report.py), walked through the stages in turn.
        "review:report_list": Entry(the_cycle, everyone_signed_in),
        "review:report_detail": Entry(every_report, report_detail_rule),
        "review:report_start_second_review": Entry(
            report_at_collecting, report_responsible_rule, POST
        ),
        "review:report_approve": Entry(
            report_at_stages, report_stage_rule, POST, lambda w, t: {"confirm": "1"}
        ),
        "review:report_return": Entry(report_at_stages, report_stage_rule, POST, reason_data),
        "review:report_return_to_contribution": Entry(
            report_at_stages,
            report_stage_rule,
            POST,
            lambda w, t: {
                **reason_data(w, t),
                "contribution": w.contributions["delivered/pharmacy"].pk,
            },
        ),
        "review:report_conflict_return": Entry(
            lambda w: [report_at_collecting(w)[0], *report_at_stages(w)],
            conflict_return_rule,
            POST,
            lambda w, t: {
                **reason_data(w, t),
                "contribution": w.contributions["delivered/pharmacy"].pk,
            },
        ),
        "review:report_conflict_keep": Entry(
            report_resolvable,
            report_responsible_rule,
            POST,
            lambda w, t: {"key": "学号=2023000001", "unit": "2003"},
        ),
        "review:report_reopen": Entry(report_approved, report_office_rule, POST, advance_data),
        "review:report_mark_uploaded": Entry(report_approved, report_office_rule, POST),
        # Bulk approval (views_bulk.py).
        "review:bulk_list": Entry(the_cycle, bulk_rule),
        "review:bulk_preview": Entry(the_cycle, bulk_rule),
        "review:bulk_confirm": Entry(
            the_cycle,
            bulk_rule,
            POST,
            lambda w, t: {"stage": "collection_check", "ids": [r.pk for r in w.reports.values()]},
        ),
        # The progress dashboard (views_dashboard.py).
        "review:dashboard_latest": Entry(no_args, dashboard_rule),
        "review:dashboard": Entry(dashboards, dashboard_rule),
        "review:dashboard_export": Entry(dashboards, dashboard_rule),
        # Year over year and explanations judged (views_yoy.py, views_explanations.py).
        "review:contribution_yoy": Entry(all_contributions, contribution_detail_rule),
        "review:report_yoy": Entry(every_report, report_detail_rule),
        "review:previous_import": Entry(
            the_cycle,
            office_only,
            GET_POST,
            lambda w, t: {"package": xlsx_file(header_only("表1-6"), "2025.zip")},
        ),
        "review:explanation_decide": Entry(
            contributions_in(C.SOURCE_REVIEW),
            contribution_rule(U.SOURCE_REVIEWER),
            POST,
            lambda w, t: {"explanation": 1, "decision": "accept", "reason": "复姓，属实"},
        ),
        # The inbox and the outbox (accounts/views/inbox.py), the audit trail (audit.py).
        "accounts:notification_read": Entry(zhang_notification, own_notification_rule, POST),
        "accounts:outbox_list": Entry(no_args, office_only),
        "accounts:outbox_retry": Entry(outbox_message, office_only, POST),
        "accounts:audit_list": Entry(no_args, audit_rule),
        "accounts:audit_export": Entry(no_args, audit_rule),
    }
)

# Announcements (collection/views_announcements.py) and delegations (accounts/views/
# delegation.py). Their objects are made when the targets are asked for, inside the test's
# transaction: a published announcement for 药学院 only and a draft, each with an attachment;
# 李老师 hands her review role in 药学院 to 陈院长 for a week.


def _announcements(w: World) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile as File

    from collection.services import announcements as notices

    found = {}
    for key in ("published", "draft"):
        a = notices.announcement_save(
            actor=w.people["xia"],
            title=f"走查通知（{key}）",
            body="请阅读工作方案。",
            all_units=False,
            units=[w.units["pharmacy"]],
        )
        f = notices.attachment_add(
            actor=w.people["xia"], announcement=a, file=File("工作方案.pdf", b"%PDF-1.4 walk")
        )
        if key == "published":
            a = notices.announcement_publish(actor=w.people["xia"], announcement=a)
        found[key] = (a, f)
    return found


def announcement_targets(*keys: str, files: bool = False) -> Callable[[World], list[Target]]:
    def targets(w: World) -> list[Target]:
        made = _announcements(w)
        return [
            Target(
                f"{key} announcement" + (" file" if files else ""),
                {"pk": made[key][0].pk, **({"file_pk": made[key][1].pk} if files else {})},
                made[key][0],
            )
            for key in keys
        ]

    return targets


def sees_announcement(w: World, p: str, a: Any) -> bool:
    """The office sees drafts; a published one for 药学院: its members and role holders and
    every college-wide role."""
    if w.is_office(p):
        return True
    if a.published_at is None:
        return False
    pharmacy = w.units["pharmacy"].pk
    return (
        bool(w.college_roles(p)) or w.holds_any_role_in(p, {pharmacy}) or w.member_of(p) == pharmacy
    )


def announcement_see_rule(w: World, p: str, t: Target, method: str) -> int | None:
    return ALLOWED if sees_announcement(w, p, t.obj) else 404


def announcement_read_rule(w: World, p: str, t: Target, method: str) -> int | None:
    """Confirming one has read it: the collector and the head of a target unit."""
    if w.holds(p, w.units["pharmacy"].pk, UnitRole.COLLECTOR, UnitRole.HEAD):
        return ALLOWED
    return refuse(sees_announcement(w, p, t.obj))


def li_delegation(w: World) -> list[Target]:
    import datetime

    from accounts.delegation import delegation_create

    today = datetime.date.today()
    d = delegation_create(
        actor=w.people["li"],
        delegator=w.people["li"],
        delegate=w.people["chen"],
        unit=w.units["pharmacy"],
        role=UnitRole.SOURCE_REVIEWER,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=7),
    )
    return [Target("李老师 → 陈院长", {"pk": d.pk}, d)]


def delegation_party_rule(w: World, p: str, t: Target, method: str) -> int | None:
    """Ending a delegation: its two people and the office; nobody else sees it."""
    mine = w.people[p].pk in (t.obj.delegator_id, t.obj.delegate_id)
    return ALLOWED if mine or w.is_office(p) else 404


def office_delegation_data(w: World, t: Target) -> dict[str, Any]:
    import datetime

    today = datetime.date.today()
    return {
        "delegator": w.people["wang"].pk,
        "unit": w.units["pharmacy"].pk,
        "role": UnitRole.SOURCE_REVIEWER,
        "delegate": w.people["chen"].pk,
        "starts_on": today.isoformat(),
        "ends_on": (today + datetime.timedelta(days=3)).isoformat(),
    }


REGISTRY.update(
    {
        "collection:announcement_list": Entry(no_args, everyone_signed_in),
        "collection:announcement_create": Entry(
            no_args, office_only, GET_POST, lambda w, t: {"title": "走查", "all_units": "on"}
        ),
        "collection:announcement_edit": Entry(
            announcement_targets("draft"),
            office_only,
            GET_POST,
            lambda w, t: {"title": "走查改", "all_units": "on"},
        ),
        "collection:announcement_attach": Entry(
            announcement_targets("draft"),
            office_only,
            POST,
            lambda w, t: {"file": SimpleUploadedFile("培训.pdf", b"%PDF-1.4 walk")},
        ),
        "collection:announcement_detach": Entry(
            announcement_targets("draft", files=True), office_only, POST
        ),
        "collection:announcement_publish": Entry(announcement_targets("draft"), office_only, POST),
        "collection:announcement_remind": Entry(
            announcement_targets("published"), office_only, POST
        ),
        "collection:announcement_detail": Entry(
            announcement_targets("published", "draft"), announcement_see_rule
        ),
        "collection:announcement_file": Entry(
            announcement_targets("published", "draft", files=True), announcement_see_rule
        ),
        "collection:announcement_read": Entry(
            announcement_targets("published"), announcement_read_rule, POST
        ),
        "accounts:delegation_end": Entry(li_delegation, delegation_party_rule, POST),
        "accounts:delegation_office": Entry(no_args, office_only, GET_POST, office_delegation_data),
    }
)

# Pages open to everyone signed in, with nothing of another unit's in them: not walked.
OPEN = {
    "accounts:delegation_mine": "One's own delegations (given and held); handing a role on is "
    "refused by the service unless the person holds it themself.",
    "home": "My work: the selectors scope every item to the person's own roles.",
    "accounts:login": "The sign-in page (open to the signed-out).",
    "accounts:logout": "Sign-out (POST) ends one's own session.",
    "accounts:password_change": "One's own password, with the old one.",
    "set_language": "The language switch (a cookie).",
    "accounts:inbox": "One's own notifications (filtered by recipient).",
    "accounts:notification_read_all": "Marks one's own notifications read.",
    "collection:check": "校验: anyone checks a file of their own; nothing is submitted. Its "
    "results are walked (check_result, check_annotated).",
}
# Django's admin checks is_staff itself: tests/test_permission_walk.py signs every persona in
# and expects the admin's own sign-in page.
OPEN_NAMESPACES = {"admin"}


# Cross-table checks (review/views_crosscheck.py) and completeness (views_completeness.py).
def recheck_rule(w: World, p: str, t: Target, method: str) -> int | None:
    """Checking a table against the other tables again: the office, the collection group and
    any role holder of the responsible unit."""
    r: TableReport = t.obj
    groups = w.college_roles(p) & {CollegeRole.OFFICE, CollegeRole.COLLECTION_GROUP}
    mine = w.holds_any_role_in(p, {r.assignment.responsible_unit_id})
    return ALLOWED if groups or mine else refuse(sees_report(w, p, r))


def completeness_rule(w: World, p: str, t: Target, method: str) -> int | None:
    """Anyone with a college-wide role or a role in a unit (who sees their units' part)."""
    return ALLOWED if w.college_roles(p) or w.unit_roles(p) else 403


REGISTRY.update(
    {
        "review:report_crosscheck": Entry(every_report, report_detail_rule),
        "review:report_recheck": Entry(every_report, recheck_rule, POST),
        "review:contribution_crosscheck": Entry(all_contributions, contribution_detail_rule),
        "review:completeness": Entry(the_cycle, completeness_rule),
        "review:completeness_export": Entry(the_cycle, completeness_rule),
    }
)


# The export package for the platform (review/views_export.py): the office only. A finished
# package is made when the target is asked for.


def an_export(w: World) -> list[Target]:
    from django.core.files.base import ContentFile

    from collection.models import ExportJob

    job = ExportJob(
        cycle=w.cycle,
        created_by=w.people["xia"],
        state=ExportJob.State.DONE,
        stage="done",
        filename="caiji-2026-walk.zip",
        sha256="0" * 64,
    )
    job.file.save("caiji-2026-walk.zip", ContentFile(b"PK\x05\x06" + b"\0" * 18), save=False)
    job.save()
    return [Target("2026 package", {"year": w.cycle.year, "pk": job.pk}, job)]


REGISTRY.update(
    {
        "review:cycle_export": Entry(the_cycle, office_only, GET_POST),
        "review:cycle_export_jobs": Entry(the_cycle, office_only),
        "review:cycle_export_download": Entry(an_export, office_only),
    }
)

# Closing the cycle (已上传, review/views.py cycle_close): the office only; the page (GET) and
# the closing (POST) are refused to everyone else before anything is looked at.
REGISTRY.update(
    {
        "review:cycle_close": Entry(the_cycle, office_only, GET_POST, advance_data),
    }
)
