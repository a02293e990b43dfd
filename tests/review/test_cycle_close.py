"""Closing the cycle (已上传): the office marks the cycle as uploaded once every table is
approved; it becomes read-only and is the comparison basis of the next cycle.

The 2026 cycle has 表1-6 (教务处 responsible, 药学院 assisting), delivered by both units and
approved through the real stages. 夏主任 (xia) is the office and the only one who closes;
孙老师 (sun, second reviewer), 韩老师 (han, collection group), 邵老师 (shao, college review
group), 孔院长 (kong, leadership) and 张老师 (zhang, collector) may not. Every write path of a
closed cycle, tried over HTTP by the people who could use it before: test_cycle_close_walk.py.
"""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import Event, Notification, OutboxMessage
from collection.models import (
    Contribution,
    ContributionState,
    Cycle,
    CycleStatus,
    ExportJob,
    TableReport,
    TableReportState,
)
from collection.selectors import table_schema
from collection.services import announcements as notices
from collection.services.assignments import assignment_set, breakdown_publish
from collection.services.breakdown_copy import breakdown_copy_from
from collection.services.jobs import upload_job_create
from collection.services.online import row_delete, row_save
from collection.services.rules_refresh import cycle_rules_refresh
from collection.services.specs import (
    catalog_load,
    cycle_create_from_previous,
    cycle_dates_update,
    field_spec_update,
    table_spec_refresh,
)
from collection.services.uploads import findings_from_upload
from collection.services.versions import version_create
from collection.services.yoy import last_year_for_report, previous_report
from review import workflow
from review.yoy_import import previous_import
from tests.review.conftest import TABLE, roster, student, upload
from tests.walk_registry import header_only

R = TableReportState
pytestmark = pytest.mark.django_db
CLOSED = r"2026 cycle (is done|is closed|is already uploaded|has been uploaded)"


def to_reviewing(cycle, office):
    while cycle.status != CycleStatus.REVIEWING:
        cycle = workflow.cycle_advance(actor=office, cycle=cycle)
    return cycle


def approve(report, s):
    workflow.table_report_start_second_review(actor=s["sun"], report=report)
    for person in ("sun", "han", "shao"):
        workflow.table_report_approve(actor=s[person], report=report)
    report.refresh_from_db()
    return report


def assign(cycle, s, units, *codes):
    """More tables for 教务处, published: their reports wait in collecting."""
    for code in codes:
        assignment_set(
            actor=s["xia"],
            cycle=cycle,
            table=cycle.tables.get(code=code),
            responsible_unit=units["academic"],
        )
    breakdown_publish(actor=s["xia"], cycle=cycle)


def package(cycle, office, *, unapproved=False, minutes=0, name="2026年度数据包.zip"):
    """A finished export package (the lead's export builds these; only the record matters)."""
    return ExportJob.objects.create(
        cycle=cycle,
        include_unapproved=unapproved,
        state=ExportJob.State.DONE,
        filename=name,
        sha256=("b" if unapproved else "a") * 63 + str(minutes),
        tables=1,
        rows=3,
        created_by=office,
        finished_at=timezone.now() + datetime.timedelta(minutes=minutes),
    )


@pytest.fixture
def approved(staff, report, delivered_all):
    return approve(report, staff)


@pytest.fixture
def ready(cycle, staff, approved):
    """表1-6 approved, the cycle in its last stage (审核上传)."""
    return to_reviewing(cycle, staff["xia"])


@pytest.fixture
def closed(ready, staff):
    return workflow.cycle_close(actor=staff["xia"], cycle=ready, reason="已导入国家平台")


def close_events():
    return Event.objects.filter(action="cycle.close")


# Refused closings ----------------------------------------------------------------------------


def test_close_is_refused_while_a_table_is_not_approved_and_names_it(ready, staff, units, report):
    assign(ready, staff, units, "表1-4-2")
    with pytest.raises(ValidationError, match="表1-4-2") as refused:
        workflow.cycle_close(actor=staff["xia"], cycle=ready)
    assert TABLE not in str(refused.value)  # approved: not in the list
    ready.refresh_from_db()
    report.refresh_from_db()
    assert ready.status == CycleStatus.REVIEWING and report.state == R.APPROVED
    assert not close_events().exists()
    assert not Event.objects.filter(action="table_report.mark_uploaded").exists()


def test_the_refusal_names_ten_tables_and_counts_the_rest(ready, staff, units):
    codes = list(
        ready.tables.exclude(code=TABLE).order_by("position").values_list("code", flat=True)[:12]
    )
    assign(ready, staff, units, *codes)
    with pytest.raises(ValidationError) as refused:
        workflow.cycle_close(actor=staff["xia"], cycle=ready)
    message = refused.value.messages[0]
    assert message.startswith("12 table(s) are not approved yet")
    assert all(code + "（" in message for code in codes[:10])
    assert codes[10] + "（" not in message and codes[11] + "（" not in message
    assert "and 2 more" in message


@pytest.mark.parametrize("persona", ["sun", "han", "shao", "kong", "zhang"])
def test_only_the_office_closes(ready, staff, report, client, persona):
    with pytest.raises(PermissionDenied):
        workflow.cycle_close(actor=staff[persona], cycle=ready)
    client.force_login(staff[persona])
    url = reverse("review:cycle_close", args=[ready.year])
    assert client.get(url).status_code == 403
    assert client.post(url, {"confirm": "on"}).status_code == 403
    ready.refresh_from_db()
    report.refresh_from_db()
    assert ready.status == CycleStatus.REVIEWING and report.state == R.APPROVED
    assert not close_events().exists()


def test_close_only_from_the_last_stage_and_advance_stops_before_it(cycle, staff, approved):
    s = staff
    cycle = workflow.cycle_advance(actor=s["xia"], cycle=cycle)  # 部署
    with pytest.raises(ValidationError, match="can be closed only in the stage"):
        workflow.cycle_close(actor=s["xia"], cycle=cycle)
    cycle = to_reviewing(cycle, s["xia"])
    assert [t.name for t in workflow.cycle_transitions(cycle, s["xia"])] == ["close"]
    assert workflow.cycle_transitions(cycle, s["han"]) == []
    with pytest.raises(ValidationError, match="Mark as uploaded to the platform and close"):
        workflow.cycle_advance(actor=s["xia"], cycle=cycle)
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.REVIEWING


def test_a_cycle_without_merged_tables_cannot_be_closed(cycle, staff):
    cycle = to_reviewing(cycle, staff["xia"])
    with pytest.raises(ValidationError, match="no merged tables"):
        workflow.cycle_close(actor=staff["xia"], cycle=cycle)


# Closing -----------------------------------------------------------------------------------


def test_closing_marks_every_approved_table_uploaded_and_records_the_package(
    ready, staff, units, report
):
    s = staff
    # A second table, uploaded on its own earlier: it stays as it is.
    assign(ready, s, units, "表1-4-2")
    other = TableReport.objects.get(assignment__cycle=ready, assignment__table__code="表1-4-2")
    own = Contribution.objects.get(assignment=other.assignment)
    empty = header_only("表1-4-2")  # a list table that may be empty
    version_create(actor=s["qian"], contribution=own, content=empty, filename="空表.xlsx")
    workflow.contribution_submit(actor=s["qian"], contribution=own)
    for reviewer in ("zhou", "wu"):
        workflow.contribution_approve(actor=s[reviewer], contribution=own)
    workflow.contribution_sign(actor=s["zheng"], contribution=own)
    other = approve(other, s)
    workflow.table_report_mark_uploaded(actor=s["xia"], report=other)

    package(ready, s["xia"], minutes=1, name="旧包.zip")
    newest = package(ready, s["xia"], minutes=2)
    package(ready, s["xia"], unapproved=True, minutes=3, name="含未审定.zip")  # not what went up

    cycle = workflow.cycle_close(actor=s["xia"], cycle=ready, reason="已导入国家平台")

    cycle.refresh_from_db()
    report.refresh_from_db()
    other.refresh_from_db()
    assert cycle.status == CycleStatus.DONE and cycle.is_closed
    assert (report.state, other.state) == (R.UPLOADED, R.UPLOADED)
    marked = Event.objects.filter(action="table_report.mark_uploaded", data__cycle_close=True)
    assert list(marked.values_list("object_id", flat=True)) == [str(report.pk)]  # one per table
    [event] = close_events()
    assert (event.actor, event.from_state, event.to_state) == (s["xia"], "reviewing", "done")
    assert event.reason == "已导入国家平台"
    assert event.data == {
        "tables": 2,
        "marked_uploaded": 1,
        "rows": 3,  # 表1-6: two rows of 药学院, one of 教务处; 表1-4-2 is empty
        "package": {"filename": "2026年度数据包.zip", "sha256": newest.sha256},
    }
    assert event.content_hash == newest.sha256
    assert workflow.cycle_transitions(cycle, s["xia"]) == []
    with pytest.raises(ValidationError, match="already uploaded and closed"):
        workflow.cycle_close(actor=s["xia"], cycle=cycle)
    with pytest.raises(ValidationError, match="already uploaded and closed"):
        workflow.cycle_advance(actor=s["xia"], cycle=cycle)


def test_closing_without_a_package_records_none(closed):
    [event] = close_events()
    assert "package" not in event.data and event.content_hash == ""
    assert event.data["rows"] == 3


def test_the_units_hear_once_and_the_group_robot_once(ready, staff):
    Cycle.objects.filter(pk=ready.pk).update(
        webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=close"
    )
    ready.refresh_from_db()
    before = set(OutboxMessage.objects.values_list("pk", flat=True))
    workflow.cycle_close(actor=staff["xia"], cycle=ready)
    robot = OutboxMessage.objects.exclude(pk__in=before).filter(channel="webhook")
    assert robot.count() == 1
    assert "2026" in robot.get().payload["markdown"]["content"]
    told = Notification.objects.filter(dedupe_key=f"cycle_close:{ready.pk}")
    assert told.filter(recipient=staff["sun"]).count() == 1  # 教务处's second reviewer


# The close page --------------------------------------------------------------------------------


def test_the_page_lists_what_keeps_the_cycle_open(ready, staff, units, client):
    assign(ready, staff, units, "表1-4-2")
    client.force_login(staff["xia"])
    url = reverse("review:cycle_close", args=[ready.year])
    response = client.get(url)
    assert response.status_code == 200
    assert [r.assignment.table.code for r in response.context["waiting"]] == ["表1-4-2"]
    assert [r.assignment.table.code for r in response.context["to_mark"]] == [TABLE]
    page = response.content.decode()
    assert 'data-table="表1-4-2"' in page and 'data-testid="close-refused"' in page
    assert 'data-testid="close-form"' not in page
    response = client.post(url, {"confirm": "on"})
    assert response.status_code == 422
    ready.refresh_from_db()
    assert ready.status == CycleStatus.REVIEWING


def test_the_office_closes_on_the_page_and_the_cycle_page_says_read_only(
    ready, staff, report, client
):
    client.force_login(staff["xia"])
    detail = reverse("review:cycle_detail", args=[ready.year])
    url = reverse("review:cycle_close", args=[ready.year])
    assert url in client.get(detail).content.decode()
    page = client.get(url).content.decode()
    assert 'data-testid="close-form"' in page
    assert client.post(url, {"reason": "未勾选确认"}).status_code == 422  # the confirmation
    ready.refresh_from_db()
    assert ready.status == CycleStatus.REVIEWING
    response = client.post(url, {"confirm": "on", "reason": "已导入国家平台"})
    assert response.status_code == 302 and response["Location"] == detail
    ready.refresh_from_db()
    report.refresh_from_db()
    assert ready.status == CycleStatus.DONE and report.state == R.UPLOADED
    assert close_events().get().reason == "已导入国家平台"
    page = client.get(detail).content.decode()
    assert 'data-testid="closed-banner"' in page
    assert url not in page and 'name="snapshot_date"' not in page  # no buttons, no date form
    for name, kwargs in [
        ("review:report_detail", {"pk": report.pk}),
        ("review:report_list", {"year": ready.year}),
        ("collection:breakdown", {"year": ready.year}),
        ("collection:table_detail", {"year": ready.year, "code": TABLE}),
    ]:
        assert (
            'data-testid="closed-banner"'
            in client.get(reverse(name, kwargs=kwargs)).content.decode()
        )
    zhang = staff["zhang"]
    client.force_login(zhang)
    pharmacy = Contribution.objects.get(assignment=report.assignment, unit=zhang.unit)
    page = client.get(reverse("review:contribution_detail", args=[pharmacy.pk])).content.decode()
    assert 'data-testid="closed-banner"' in page
    # Exports and downloads stay open.
    client.force_login(staff["xia"])
    response = client.post(reverse("review:cycle_export", args=[ready.year]))
    assert response.status_code == 302
    assert ExportJob.objects.filter(cycle=ready, include_unapproved=False).exists()
    client.force_login(zhang)
    for name, kwargs in [
        ("collection:cycle_templates", {"year": ready.year}),
        ("collection:breakdown_export", {"year": ready.year}),
        ("review:version_file", {"pk": pharmacy.pk, "number": 1}),
    ]:
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 200, name


# Read-only: the services refuse ----------------------------------------------------------------


def _refused(call, match=CLOSED):
    before = (Event.objects.count(), Contribution.objects.count(), TableReport.objects.count())
    with pytest.raises(ValidationError, match=match):
        call()
    assert (
        Event.objects.count(),
        Contribution.objects.count(),
        TableReport.objects.count(),
    ) == before


def test_every_service_refuses_a_closed_cycle(closed, staff, units, report, pharmacy, academic):
    s, cycle = staff, closed
    table = cycle.tables.get(code=TABLE)
    field = table.fields.get(name="学号")
    other = cycle.tables.get(code="表1-4-2")
    pharmacy.refresh_from_db()
    version = pharmacy.current_version
    # Data: versions, online edits, background uploads.
    _refused(lambda: upload(pharmacy, s["zhang"], [student("2023000009")]))
    _refused(
        lambda: upload_job_create(
            actor=s["zhang"],
            contribution=pharmacy,
            file=SimpleUploadedFile("大名单.xlsx", roster([student("2023000009")])),
        )
    )
    _refused(
        lambda: row_save(
            actor=s["zhang"], contribution=pharmacy, index=None, values={"学号": "1"}, base=1
        )
    )
    _refused(lambda: row_delete(actor=s["zhang"], contribution=pharmacy, index=0, base=1))
    # The workflow.
    _refused(  # the uploaded table refuses first (the walk tries a drafting one)
        lambda: workflow.contribution_return(actor=s["sun"], contribution=pharmacy, reason="x"),
        match="Uploaded",
    )
    _refused(lambda: workflow.table_report_reopen(actor=s["xia"], report=report, reason="再改"))
    _refused(lambda: workflow.table_report_mark_uploaded(actor=s["xia"], report=report))
    _refused(
        lambda: workflow.table_report_import_approved(
            actor=s["xia"], report=report, headers=["学号"], rows=[["1"]]
        )
    )
    _refused(lambda: workflow.cycle_advance(actor=s["xia"], cycle=cycle))
    # Specs, rules, breakdown and settings.
    _refused(lambda: field_spec_update(actor=s["xia"], field=field, max_len=3))
    _refused(lambda: table_spec_refresh(actor=s["xia"], spec=table, headers=["学号", "新列"]))
    _refused(lambda: cycle_rules_refresh(actor=s["xia"], cycle=cycle))
    _refused(lambda: catalog_load(actor=s["xia"], year=cycle.year))
    _refused(
        lambda: assignment_set(
            actor=s["xia"], cycle=cycle, table=other, responsible_unit=units["academic"]
        )
    )
    _refused(lambda: breakdown_publish(actor=s["xia"], cycle=cycle))
    _refused(lambda: breakdown_copy_from(actor=s["xia"], cycle=cycle, source=cycle))
    for values in (
        {"review_deadline": datetime.date(2026, 12, 31)},
        {"change_threshold": 50},
        {"dependency_mode": "block"},
        {"webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=late"},
    ):
        _refused(
            lambda values=values: cycle_dates_update(actor=s["xia"], cycle=cycle, values=values)
        )
    # Announcements of the closed cycle.
    _refused(lambda: notices.announcement_save(actor=s["xia"], title="补充通知", cycle=cycle))
    # Last year's package: not into the closed cycle, nor as the closed cycle's data.
    _refused(lambda: previous_import(actor=s["xia"], cycle=cycle, content=b"PK"))
    cycle.refresh_from_db()
    pharmacy.refresh_from_db()
    report.refresh_from_db()
    field.refresh_from_db()
    assert cycle.status == CycleStatus.DONE and cycle.review_deadline is None
    assert (cycle.change_threshold, cycle.dependency_mode, cycle.webhook_url) == (20, "warn", "")
    assert pharmacy.current_version == version and pharmacy.state == ContributionState.DELIVERED
    assert report.state == R.UPLOADED and field.max_len == 20
    assert not cycle.assignments.filter(table=other).exists()


def test_an_announcement_draft_of_a_closed_cycle_is_not_sent(ready, staff):
    s = staff
    draft = notices.announcement_save(actor=s["xia"], title="上传说明", cycle=ready)
    workflow.cycle_close(actor=s["xia"], cycle=ready)
    _refused(lambda: notices.announcement_publish(actor=s["xia"], announcement=draft))
    _refused(
        lambda: notices.attachment_add(
            actor=s["xia"], announcement=draft, file=SimpleUploadedFile("a.pdf", b"%PDF-1.4")
        )
    )
    _refused(
        lambda: notices.announcement_save(
            actor=s["xia"], title="改", cycle=ready, announcement=draft
        )
    )
    draft.refresh_from_db()
    assert draft.published_at is None and draft.title == "上传说明"
    # Tied to no cycle (or the next one), the same draft may go out.
    moved = notices.announcement_save(actor=s["xia"], title="上传说明", announcement=draft)
    assert moved.cycle is None


# The comparison basis of the next cycle ----------------------------------------------------------


def test_the_next_cycle_compares_with_the_closed_cycles_uploaded_data(closed, staff, units, report):
    s = staff
    nxt = cycle_create_from_previous(actor=s["xia"], previous=closed, year=2027)
    assert nxt.previous == closed
    breakdown_publish(actor=s["xia"], cycle=nxt)  # the breakdown copied from 2026
    a = nxt.assignments.get(table__code=TABLE)
    report.refresh_from_db()
    assert previous_report(a) == report and report.state == R.UPLOADED
    last = last_year_for_report(TableReport.objects.get(assignment=a), table_schema(a.table))
    assert (last.year, last.report, len(last.rows)) == (2026, report, 3)
    # 药学院 gave 2 rows in 2026; 30 in 2027 is a change to explain.
    pharmacy_2027 = Contribution.objects.get(assignment=a, unit=units["pharmacy"])
    rows = [student(f"2024{i:06d}") for i in range(30)]
    version = upload(pharmacy_2027, s["zhang"], rows)
    [finding] = [f for f in findings_from_upload(version.upload) if f.rule == "yoy.rows"]
    assert finding.value == "2 → 30"
    # Last year's package cannot replace the closed cycle's data.
    with pytest.raises(ValidationError, match="already last year's data for 2027"):
        previous_import(actor=s["xia"], cycle=nxt, content=b"PK")
