"""Last year's package is read one member at a time, within the upload caps: a package built to
fill the worker's memory is refused with a message, and nothing is imported.

夏主任 (xia) is the office and imports the package.
"""

import io
import struct
import tracemalloc
import zipfile

import pytest
from django.utils import translation

from collection.models import Cycle, TableReport
from review.yoy_import import previous_import
from tests.review.conftest import roster, student

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
MEMBER = 2 * MB  # each compressible member, inflated
MEMBERS = 40  # 80 MB inflated, some 100 KB on the wire


def _compressible(i: int) -> bytes:
    line = f"学号,姓名,{i}\n".encode()
    return line * (MEMBER // len(line))


def _package(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def _lying(content: bytes, name: str, declared: int) -> bytes:
    """A package whose one member says (in both headers) it inflates to ``declared`` bytes."""
    data = bytearray(_package({name: content}))
    local = data.find(b"PK\x03\x04")
    struct.pack_into("<I", data, local + 22, declared)
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, declared)
    return bytes(data)


def _import_measured(staff, cycle, content: bytes):
    tracemalloc.start()
    try:
        with translation.override("zh-hans"):  # the office reads the page in Chinese
            result = previous_import(actor=staff["xia"], cycle=cycle, content=content)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, peak


def _nothing_imported() -> None:
    assert not Cycle.objects.filter(year=2025).exists()
    assert not TableReport.objects.filter(assignment__cycle__year=2025).exists()


def test_many_compressible_members_are_read_one_at_a_time(staff, cycle):
    files = {f"附表{i}.csv": _compressible(i) for i in range(MEMBERS)}
    files["表1-6 本科生名单.xlsx"] = roster([student("2022000001")])
    content = _package(files)
    assert len(content) < MB  # small on the wire
    result, peak = _import_measured(staff, cycle, content)
    assert not result.imported
    refused = {t.filename: t.refused for t in result.refused}
    assert len(refused) == MEMBERS and all(refused.values())
    _nothing_imported()
    # Reading all members first held 80 MB at once; one member at a time stays far below.
    assert peak < 40 * MB, f"peak {peak / MB:.0f} MB"


def test_a_package_inflating_beyond_the_bound_is_refused_before_reading(staff, cycle, settings):
    settings.CAIJI_UPLOAD_MAX_UNCOMPRESSED = 32 * MB
    content = _package({f"表1-{i} 附表.csv": _compressible(i) for i in range(MEMBERS)})
    result, peak = _import_measured(staff, cycle, content)
    assert not result.imported and not result.tables
    assert "数据包解压后" in result.problem and "32" in result.problem
    _nothing_imported()
    assert peak < 16 * MB, f"peak {peak / MB:.0f} MB"


def test_a_member_whose_header_lies_about_its_size_refuses_the_package(staff, cycle):
    # Says 100 bytes; holds 8 MB that inflate from a few kilobytes.
    content = _lying(b"2022000001," * (8 * MB // 11), "表1-6 本科生名单.csv", 100)
    result, peak = _import_measured(staff, cycle, content)
    assert not result.imported
    assert "数据包已损坏" in result.problem
    _nothing_imported()
    assert peak < 16 * MB, f"peak {peak / MB:.0f} MB"


def test_a_member_beyond_the_upload_cap_is_refused_unread(staff, cycle, settings):
    settings.CAIJI_UPLOAD_MAX_BYTES = MB
    content = _package(
        {
            "表1-6 本科生名单.csv": _compressible(0),
            "表1-1 学校概况.xlsx": roster([student("2022000001")]),
        }
    )
    with translation.override("zh-hans"):
        result = previous_import(actor=staff["xia"], cycle=cycle, content=content)
    assert not result.imported
    too_big = next(t for t in result.tables if t.filename == "表1-6 本科生名单.csv")
    assert "1 MB" in too_big.refused
    _nothing_imported()
