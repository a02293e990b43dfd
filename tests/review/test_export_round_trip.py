"""Round trip over every catalog table with columns: approved data → export package → the platform's file →
``validate_file`` and a new cycle's upload give back the same data.

Each table is approved with valid sample rows (``collection.sampledata``: codes with leading
zeros, dates in every format, multi-value cells, decimals) through
``workflow.table_report_import_approved``; the package is written by the same service the office
page and the command use.
"""

import io
import json
import zipfile

import pytest
from django.core.management import call_command

from accounts import services as accounts_services
from accounts.roles import UnitRole
from collection.models import Contribution, TableReport
from collection.sampledata import sample_rows
from collection.selectors import _schema_cache, table_schema
from collection.services.assignments import (
    assignment_set,
    breakdown_publish,
    cycle_supplements_set,
)
from collection.services.specs import catalog_load
from collection.services.versions import upload_rows, version_create
from review import workflow
from review.export import package_write, table_filename
from tests.conftest import make_person

pytestmark = pytest.mark.django_db
ROWS = 6
SETS = ["teacher_education", "medical"]  # the catalog's supplementary tables: 表SF, 表5-2-3
NO_COLUMNS = ["表1-7-3", "表3-3-3", "表5-3", "表6-6-9"]


@pytest.fixture(autouse=True)
def _fresh_schemas():
    _schema_cache.clear()
    yield
    _schema_cache.clear()


def _publish_all(cycle, office, unit) -> None:
    """Every table with columns, the supplementary sets' too. A 字段待确认 table without any
    (the 2024 evidence's new tables) cannot be filled before the year's template is loaded."""
    cycle = cycle_supplements_set(actor=office, cycle=cycle, supplements=SETS)
    for table in cycle.tables.filter(fields__isnull=False).distinct():
        assignment_set(actor=office, cycle=cycle, table=table, responsible_unit=unit)
    breakdown_publish(actor=office, cycle=cycle)


def _validate_file(code: str, path, year: int) -> dict:
    out = io.StringIO()
    try:
        call_command("validate_file", code, str(path), "--cycle", str(year), "--json", stdout=out)
    except SystemExit as exc:  # 1: errors found, 2: refused
        assert exc.code == 0, (code, out.getvalue()[:500])
    return json.loads(out.getvalue())


def test_every_catalog_table_leaves_and_comes_back_unchanged(units, people, tmp_path):
    office, academic = people["xia"], units["academic"]
    cycle, _added = catalog_load(actor=office, year=2026)
    _publish_all(cycle, office, academic)
    dates = cycle.dates()
    expected: dict[str, list[list[str]]] = {}
    for report in TableReport.objects.filter(assignment__cycle=cycle).select_related(
        "assignment__table"
    ):
        schema = table_schema(report.assignment.table)
        rows = sample_rows(schema, dates, ROWS)
        workflow.table_report_import_approved(
            actor=office, report=report, headers=schema.headers, rows=rows
        )
        expected[schema.code] = rows
    assert len(expected) == cycle.tables.count() - len(NO_COLUMNS) == 89
    assert sorted(set(cycle.tables.values_list("code", flat=True)) - set(expected)) == NO_COLUMNS

    out = io.BytesIO()
    package = package_write(cycle, out, generated_by=office)
    archive = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    assert package.complete and len(package.tables) == 89

    folder = tmp_path / "package"
    folder.mkdir()
    files: dict[str, bytes] = {}
    for spec in cycle.tables.exclude(code__in=NO_COLUMNS):
        schema = table_schema(spec)
        name = table_filename(schema)
        files[spec.code] = content = archive.read(name)
        path = folder / name
        path.write_bytes(content)
        report = _validate_file(spec.code, path, 2026)
        assert report["rows"] == len(expected[spec.code]), spec.code
        errors = [f for f in report["findings"] if f["severity"] == "error"]
        assert errors == [], (spec.code, errors[:3])

    # The package uploaded again as next year's contributions gives the same rows.
    _schema_cache.clear()
    next_cycle, _added = catalog_load(actor=office, year=2027)
    _publish_all(next_cycle, office, academic)
    collector = make_person("100201", "钱老师", academic)
    accounts_services.role_assign(
        actor=None, user=collector, role=UnitRole.COLLECTOR, unit=academic
    )
    different = []
    for contribution in Contribution.objects.filter(
        assignment__cycle=next_cycle, unit=academic
    ).select_related("assignment__table"):
        code = contribution.assignment.table.code
        version = version_create(
            actor=collector,
            contribution=contribution,
            content=files[code],
            filename=table_filename(table_schema(contribution.assignment.table)),
        )
        _headers, rows = upload_rows(version.upload)
        if rows != expected[code]:
            different.append(code)
    assert different == []
