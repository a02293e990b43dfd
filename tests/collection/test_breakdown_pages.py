"""The 分工表 pages: the grid, editing a row, the .xlsx sheet and publishing.

夏主任 (xia, the office) edits, imports and publishes; 张老师 (zhang, a collector for 药学院)
and 孙老师 (sun, second reviewer) only read the grid and download the sheet.
"""

import io

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from accounts.models import Event
from collection.breakdown_io import HEADERS
from collection.models import Assignment, Contribution, TableReport
from collection.selectors import tables_in_scope
from collection.services.assignments import assignment_set

pytestmark = pytest.mark.django_db


def zh(msgid: str) -> str:
    """The text the page shows in Chinese (the msgid itself until the .po is updated)."""
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, year: int, content: bytes):
    file = io.BytesIO(content)
    file.name = "分工表.xlsx"
    return client.post(reverse("collection:breakdown_import", args=[year]), {"file": file})


def state(cycle):
    """Everything the breakdown holds, to compare before and after."""
    return sorted(
        (
            a.table.code,
            a.responsible_unit.code,
            tuple(sorted(u.code for u in a.assisting_units.all())),
            a.assisting_deadline,
            a.responsible_deadline,
            a.notes,
        )
        for a in Assignment.objects.filter(cycle=cycle).select_related("table", "responsible_unit")
    )


@pytest.fixture
def assigned(cycle, units, people):
    """表1-6: 教务处 responsible, 药学院 and 护理学院 assist, with deadlines and notes."""
    return assignment_set(
        actor=people["xia"],
        cycle=cycle,
        table=cycle.tables.get(code="表1-6"),
        responsible_unit=units["academic"],
        assisting_units=[units["pharmacy"], units["nursing"]],
        assisting_deadline="2026-10-10",
        responsible_deadline="2026-10-20",
        notes="按学号排序",
    )


@pytest.fixture
def all_assigned(cycle, units, people, assigned):
    for table in tables_in_scope(cycle).exclude(code="表1-6"):
        assignment_set(
            actor=people["xia"], cycle=cycle, table=table, responsible_unit=units["quality"]
        )


def test_office_sees_the_grid_with_edit_links(
    client_for, cycle, assigned, django_assert_max_num_queries
):
    client = client_for("xia")
    with django_assert_max_num_queries(12):
        response = client.get(reverse("collection:breakdown", args=[cycle.year]))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('data-testid="edit-row"') == tables_in_scope(cycle).count()
    assert "护理学院、药学院" in page and "2026-10-20" in page and "按学号排序" in page
    assert reverse("collection:breakdown_publish", args=[cycle.year]) in page
    detail = client.get(reverse("review:cycle_detail", args=[cycle.year])).content.decode()
    assert reverse("collection:breakdown", args=[cycle.year]) in detail


@pytest.mark.parametrize("persona", ["zhang", "sun"])
def test_others_read_the_grid_without_edit_links(client_for, cycle, assigned, persona):
    client = client_for(persona)
    response = client.get(reverse("collection:breakdown", args=[cycle.year]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "教务处" in page
    assert 'data-testid="edit-row"' not in page
    assert reverse("collection:breakdown_publish", args=[cycle.year]) not in page
    assert reverse("collection:breakdown_import", args=[cycle.year]) not in page
    export = client.get(reverse("collection:breakdown_export", args=[cycle.year]))
    assert export.status_code == 200


def test_non_office_may_not_change_anything(client_for, cycle, units, assigned):
    client = client_for("zhang")
    before, events = state(cycle), Event.objects.count()
    y = cycle.year
    row = reverse("collection:breakdown_row", args=[y, "表1-6"])
    assert client.get(row).status_code == 403
    assert client.post(row, {"responsible_unit": units["pharmacy"].pk}).status_code == 403
    assert client.get(reverse("collection:breakdown_import", args=[y])).status_code == 403
    assert upload(client, y, xlsx([HEADERS])).status_code == 403
    confirm = reverse("collection:breakdown_import_confirm", args=[y])
    assert client.post(confirm, {"token": "abc"}).status_code == 403
    assert client.post(reverse("collection:breakdown_publish", args=[y])).status_code == 403
    assert state(cycle) == before and Event.objects.count() == events
    assert not Contribution.objects.exists()


def test_post_only_urls_refuse_get(client_for, cycle):
    client = client_for("xia")
    for name in ("breakdown_publish", "breakdown_import_confirm"):
        assert client.get(reverse(f"collection:{name}", args=[cycle.year])).status_code == 405


def test_unknown_table_is_404(client_for, cycle):
    url = reverse("collection:breakdown_row", args=[cycle.year, "表9-9-9"])
    assert client_for("xia").get(url).status_code == 404


def test_office_edits_a_row(client_for, cycle, units, people):
    url = reverse("collection:breakdown_row", args=[cycle.year, "表1-6"])
    client = client_for("xia")
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "responsible_unit": units["academic"].pk,
            "assisting_units": [units["pharmacy"].pk],
            "assisting_deadline": "2026-10-01",
            "responsible_deadline": "2026-10-15",
            "notes": "含留学生",
        },
    )
    assert response.status_code == 302
    a = Assignment.objects.get(cycle=cycle, table__code="表1-6")
    a.refresh_from_db()
    assert a.responsible_unit == units["academic"]
    assert list(a.assisting_units.all()) == [units["pharmacy"]]
    assert str(a.responsible_deadline) == "2026-10-15" and a.notes == "含留学生"
    event = Event.objects.get(action="assignment.create")
    assert event.actor == people["xia"] and event.data["assisting"] == ["2003"]


def test_an_invalid_row_comes_back_422_and_changes_nothing(client_for, cycle, units, assigned):
    url = reverse("collection:breakdown_row", args=[cycle.year, "表1-6"])
    before, events = state(cycle), Event.objects.count()
    response = client_for("xia").post(
        url,
        {
            "responsible_unit": units["academic"].pk,
            "assisting_units": [units["academic"].pk],
            "assisting_deadline": "明天",
        },
    )
    assert response.status_code == 422
    page = response.content.decode()
    message = zh(
        "%(unit)s is already the responsible unit; untick it among the assisting units."
    ) % {"unit": "教务处"}
    assert message in page
    assert state(cycle) == before and Event.objects.count() == events


def test_export_has_the_fixed_columns_and_every_table(client_for, cycle, assigned):
    response = client_for("xia").get(reverse("collection:breakdown_export", args=[cycle.year]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0] == HEADERS
    assert len(rows) == 1 + tables_in_scope(cycle).count()
    (row,) = [r for r in rows if r[1] == "表1-6"]
    assert row[4:] == ["教务处", "护理学院、药学院", "2026-10-10", "2026-10-20", "按学号排序"]


def test_export_then_import_changes_nothing(client_for, cycle, assigned, all_assigned):
    client = client_for("xia")
    before = state(cycle)
    exported = client.get(reverse("collection:breakdown_export", args=[cycle.year])).content
    assignment_events = Event.objects.filter(action__startswith="assignment.").count()
    preview = upload(client, cycle.year, exported)
    assert preview.status_code == 200, preview.context["problems"]
    assert preview.context["problems"] == []
    assert preview.context["totals"]["skip"] == tables_in_scope(cycle).count()
    token = preview.context["token"]
    response = client.post(
        reverse("collection:breakdown_import_confirm", args=[cycle.year]), {"token": token}
    )
    assert response.status_code == 302
    assert state(cycle) == before
    assert Event.objects.filter(action__startswith="assignment.").count() == assignment_events
    assert Event.objects.filter(action="import.breakdown").count() == 1
    assert not list((settings.DATA_DIR / "imports").glob("*.xlsx"))


def test_import_applies_changes_by_name_or_code(client_for, cycle, units, assigned):
    client = client_for("xia")
    content = xlsx(
        [
            HEADERS,
            [1, "表1-6", "", "", "1002", "2003", "2026/10/05", "2026-10-20", ""],
            [2, "表1-1", "", "", "教学质量监控管理处", "", "", "", "新增"],
        ]
    )
    preview = upload(client, cycle.year, content)
    assert preview.status_code == 200 and preview.context["problems"] == []
    assert preview.context["totals"]["update"] == 1 and preview.context["totals"]["new"] == 1
    assert len(state(cycle)) == 1  # the preview saves nothing
    client.post(
        reverse("collection:breakdown_import_confirm", args=[cycle.year]),
        {"token": preview.context["token"]},
    )
    changed = Assignment.objects.get(cycle=cycle, table__code="表1-6")
    assert [u.code for u in changed.assisting_units.all()] == ["2003"]
    assert str(changed.assisting_deadline) == "2026-10-05" and changed.notes == ""
    assert (
        Assignment.objects.get(cycle=cycle, table__code="表1-1").responsible_unit
        == (units["quality"])
    )
    assert Event.objects.filter(action="assignment.update").count() == 1
    assert Event.objects.filter(action="assignment.create").count() == 2


def test_a_bad_sheet_lists_every_bad_row_and_changes_nothing(client_for, cycle, assigned):
    client = client_for("xia")
    before, events = state(cycle), Event.objects.count()
    content = xlsx(
        [
            HEADERS,
            [1, "表9-9", "", "", "教务处", "", "", "", ""],  # row 2: unknown table
            [2, "表1-1", "", "", "无此单位", "", "", "", ""],  # row 3: unknown unit
            [3, "表1-2", "", "", "教务处", "", "10月1日", "", ""],  # row 4: not a date
            [4, "表1-3", "", "", "教务处", "药学院、教务处", "", "", ""],  # row 5: assists itself
            [5, "表1-4-1", "", "", "教务处", "", "", "", ""],  # rows 6 and 7: the same table twice
            [6, "表1-4-1", "", "", "药学院", "", "", "", ""],
            [7, "表1-5-1", "", "", "", "药学院", "", "", ""],  # row 8: no responsible unit
            [8, "表1-6", "", "", "护理学院", "", "", "", ""],  # row 9: a valid change
        ]
    )
    response = upload(client, cycle.year, content)
    assert response.status_code == 422
    problems = response.context["problems"]
    assert [p["row"] for p in problems] == [2, 3, 4, 5, 6, 7, 8]
    text = {p["row"]: " ".join(p["messages"]) for p in problems}
    assert "表9-9" in text[2] and "无此单位" in text[3] and "10月1日" in text[4]
    assert "教务处" in text[5] and "表1-4-1" in text[6] and "表1-4-1" in text[7]
    assert text[8].startswith("责任单位")
    page = response.content.decode()
    assert "Import now" not in page and zh("Import now") not in page
    assert state(cycle) == before and Event.objects.count() == events


def test_publishing_with_unassigned_tables_names_the_tables_left_out(client_for, cycle, assigned):
    response = client_for("xia").post(
        reverse("collection:breakdown_publish", args=[cycle.year]), follow=True
    )
    cycle.refresh_from_db()
    assert cycle.published_at is not None
    assigned_tables = set(Contribution.objects.values_list("assignment__table__code", flat=True))
    assert assigned_tables and "表1-1" not in assigned_tables  # only assigned tables are collected
    shown = [str(m) for m in response.context["messages"]]
    assert any("表1-1" in m and "不" in m for m in shown)


def test_publishing_creates_contributions_once(client_for, cycle, all_assigned):
    # Every table's template loaded: no 字段待确认 warning (tests/collection/test_fields_pending).
    cycle.tables.exclude(fields_status="2019").update(fields_status="template")
    client = client_for("xia")
    url = reverse("collection:breakdown_publish", args=[cycle.year])
    tables = tables_in_scope(cycle).count()
    response = client.post(url, follow=True)
    shown = [str(m) for m in response.context["messages"]]
    added = tables + 2  # every responsible unit, plus 表1-6's two assisting units
    expected = zh("The task breakdown has been published: %(count)s new unit contributions.") % {
        "count": added
    }
    assert shown == [expected]
    assert Contribution.objects.count() == added and TableReport.objects.count() == tables
    cycle.refresh_from_db()
    assert cycle.published_at is not None
    assert 'data-testid="published"' in response.content.decode()
    again = client.post(url, follow=True)
    assert [str(m) for m in again.context["messages"]] == [
        zh("The task breakdown has been published: %(count)s new unit contributions.")
        % {"count": 0}
    ]
    assert Contribution.objects.count() == added
    assert Event.objects.filter(action="breakdown.publish").count() == 2


def test_a_done_cycle_is_read_only(client_for, cycle, assigned):
    type(cycle).objects.filter(pk=cycle.pk).update(status="done")  # set up directly: test data
    client = client_for("xia")
    page = client.get(reverse("collection:breakdown", args=[cycle.year])).content.decode()
    assert 'data-testid="edit-row"' not in page
    url = reverse("collection:breakdown_row", args=[cycle.year, "表1-6"])
    assert client.get(url).status_code == 403
    assert (
        client.post(reverse("collection:breakdown_publish", args=[cycle.year])).status_code == 403
    )
