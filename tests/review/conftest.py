"""A published task breakdown for 表1-6 (本科生名单), built through the real services.

教务处 is responsible, 药学院 assists. Besides the shared personas (tests/conftest.py):
- 钱老师 (qian) collects for 教务处; 周老师 (zhou) and 吴老师 (wu) review its own rows;
  郑处长 (zheng) heads it. 孙老师 (sun) second-reviews 教务处's merged tables.
"""

import io

import pytest
from openpyxl import Workbook

from accounts import services as accounts_services
from accounts.roles import UnitRole
from collection.models import Contribution, TableReport
from collection.schema import catalog_schemas
from collection.selectors import _schema_cache
from collection.services.assignments import assignment_set, breakdown_publish
from collection.services.specs import catalog_load
from collection.services.versions import version_create
from review import workflow
from tests.conftest import make_person

TABLE = "表1-6"


def roster(rows: list[list[object]], *, title: bool = True) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = catalog_schemas()[TABLE].sheet_name
    if title:
        sheet.append(["齐鲁医药学院2026年本科生名单"])
    sheet.append(catalog_schemas()[TABLE].headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def student(number: str, name: str = "李明") -> list[str]:
    return [number, name, "男", "药学", "100701", "境内", "2023", "2023"]


PHARMACY_ROWS = [student("2023000001"), student("2023000002", "王芳")]
ACADEMIC_ROWS = [student("2023100001", "赵强")]
BAD_ROWS = [student("2023000001"), student("2023000001", "王芳")]  # duplicate 学号: an error


@pytest.fixture
def cycle(db):
    cycle, _added = catalog_load(actor=None, year=2026)
    return cycle


@pytest.fixture
def academic_staff(units, people):
    ac = units["academic"]
    spec = {
        "qian": ("100201", "钱老师", UnitRole.COLLECTOR),
        "zhou": ("100202", "周老师", UnitRole.SOURCE_REVIEWER),
        "wu": ("100203", "吴老师", UnitRole.SOURCE_REVIEWER),
        "zheng": ("100204", "郑处长", UnitRole.HEAD),
    }
    found = {}
    for key, (username, name, role) in spec.items():
        found[key] = make_person(username, name, ac)
        accounts_services.role_assign(actor=None, user=found[key], role=role, unit=ac)
    return found


@pytest.fixture
def staff(people, academic_staff):
    return {**people, **academic_staff}


@pytest.fixture
def assignment(cycle, units, staff):
    table = cycle.tables.get(code=TABLE)
    found = assignment_set(
        actor=staff["xia"],
        cycle=cycle,
        table=table,
        responsible_unit=units["academic"],
        assisting_units=[units["pharmacy"]],
    )
    breakdown_publish(actor=staff["xia"], cycle=cycle)
    return found


@pytest.fixture
def pharmacy(assignment, units) -> Contribution:
    return Contribution.objects.get(assignment=assignment, unit=units["pharmacy"])


@pytest.fixture
def academic(assignment, units) -> Contribution:
    return Contribution.objects.get(assignment=assignment, unit=units["academic"])


@pytest.fixture
def report(assignment) -> TableReport:
    return TableReport.objects.get(assignment=assignment)


def upload(contribution, actor, rows, name="名单.xlsx", **kwargs):
    return version_create(
        actor=actor, contribution=contribution, content=roster(rows, **kwargs), filename=name
    )


def to_head(contribution, collector, reviewers, rows):
    upload(contribution, collector, rows)
    workflow.contribution_submit(actor=collector, contribution=contribution)
    for reviewer in reviewers:
        workflow.contribution_approve(actor=reviewer, contribution=contribution)


def deliver(contribution, collector, reviewers, head, rows):
    to_head(contribution, collector, reviewers, rows)
    return workflow.contribution_sign(actor=head, contribution=contribution)


@pytest.fixture
def delivered_all(staff, pharmacy, academic):
    """Both units have delivered their rows: the report can go to second review."""
    s = staff
    deliver(pharmacy, s["zhang"], [s["li"], s["wang"]], s["chen"], PHARMACY_ROWS)
    deliver(academic, s["qian"], [s["zhou"], s["wu"]], s["zheng"], ACADEMIC_ROWS)


@pytest.fixture
def explain_rule(cycle):
    """表1-6 gets a 需说明 rule: a name longer than three characters must be explained."""
    table = cycle.tables.get(code=TABLE)
    table.rules = [
        *table.rules,
        {
            "table": TABLE,
            "index": 99,
            "status": "implemented",
            "rules": [
                {
                    "kind": "length",
                    "field": "学生姓名",
                    "max": 3,
                    "severity": "explain",
                    "message": "姓名超过3个字：请说明（如复姓）。",
                }
            ],
        },
    ]
    table.spec_version += 1
    table.save(update_fields=["rules", "spec_version"])
    # Primary keys are reused between tests: forget schemas cached under this (pk, version).
    _schema_cache.clear()
    yield table
    _schema_cache.clear()


@pytest.fixture(autouse=True)
def _english_messages():
    """Refusals are matched on their English msgid, whatever the .po holds."""
    from django.utils import translation

    with translation.override("en"):
        yield
