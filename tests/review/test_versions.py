"""Versions and merging: version_create hashes rows, keeps refused files; single-record merge.

张老师 uploads for 药学院; 李老师, 陈院长, 赵老师 (护理学院) and 夏主任 may not.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Event
from collection.models import TableReport, TableSpec, Upload, Version
from collection.services.assignments import assignment_set, breakdown_publish
from collection.services.merge import _merge_single, _Part, merged_rows
from collection.services.versions import version_create
from tests.review.conftest import PHARMACY_ROWS, upload

pytestmark = pytest.mark.django_db


def test_a_version_per_upload_hashed_on_its_rows_not_its_bytes(staff, pharmacy):
    first = upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    second = upload(pharmacy, staff["zhang"], PHARMACY_ROWS, title=False)
    assert (first.number, second.number) == (1, 2)
    assert first.upload.sha256 != second.upload.sha256
    assert first.content_hash == second.content_hash
    pharmacy.refresh_from_db()
    assert pharmacy.current_version == second
    assert first.upload.purpose == Upload.Purpose.CONTRIBUTION
    with pytest.raises(ValueError):
        first.save()
    event = Event.objects.filter(action="version.create").first()
    assert event.content_hash == second.content_hash and event.data["version"] == 2


def test_a_refused_file_is_kept_and_explained_but_makes_no_version(staff, pharmacy):
    with pytest.raises(ValidationError) as refused:
        version_create(
            actor=staff["zhang"],
            contribution=pharmacy,
            content=b"not a workbook",
            filename="名单.xlsx",
        )
    assert refused.value.messages[0]
    assert Upload.objects.get().status == Upload.Status.REJECTED
    assert not Version.objects.exists()


def test_only_the_units_collector_uploads(staff, pharmacy):
    for key in ("li", "chen", "zhao", "xia"):
        with pytest.raises(PermissionDenied):
            upload(pharmacy, staff[key], PHARMACY_ROWS)
    assert not Version.objects.exists()


def test_single_record_tables_merge_field_by_field_by_owner(cycle, units, staff):
    table = cycle.tables.filter(row_mode=TableSpec.RowMode.SINGLE).first()
    headers = list(table.fields.values_list("name", flat=True))
    owned = headers[-1]
    found = assignment_set(
        actor=staff["xia"],
        cycle=cycle,
        table=table,
        responsible_unit=units["academic"],
        assisting_units=[units["pharmacy"]],
        field_owners={"2003": [owned]},
    )
    breakdown_publish(actor=staff["xia"], cycle=cycle)
    report_ = TableReport.objects.get(assignment=found)
    # The merge proper, fed the rows two delivered versions would hold.
    academic_row = ["教务处值"] * (len(headers) - 1) + [""]
    pharmacy_row = [""] * (len(headers) - 1) + ["药学院值"]
    merged = _merge_single(report_, headers, parts(academic_row, pharmacy_row))
    assert merged.rows == [["教务处值"] * (len(headers) - 1) + ["药学院值"]]
    assert merged.conflicts == []
    pharmacy_row[0] = "不同的值"
    merged = _merge_single(report_, headers, parts(academic_row, pharmacy_row))
    assert [(c.what, c.units) for c in merged.conflicts] == [(headers[0], ("教务处", "药学院"))]
    # 教务处 settles it by keeping 药学院's value for that field.
    report_.resolutions = {headers[0]: "2003"}
    merged = _merge_single(report_, headers, parts(academic_row, pharmacy_row), report_.resolutions)
    assert merged.conflicts == [] and merged.rows[0][0] == "不同的值"
    assert merged_rows(report_).rows == []  # nothing delivered yet


def parts(academic_row, pharmacy_row):
    """The rows two delivered versions would hold (data row 3, under a title and the header)."""
    return [
        _Part("1002", "教务处", [academic_row], [3]),
        _Part("2003", "药学院", [pharmacy_row], [3]),
    ]
