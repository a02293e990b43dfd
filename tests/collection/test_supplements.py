"""Supplementary table sets by 专业类别 (Cycle.supplements): the cycle page's setting, and the
one selector (collection.selectors.tables_in_scope) that the breakdown and its sheet, the
templates, the cycle page, the dashboard, completeness and the export all follow.

夏主任 (xia, the office) chooses the sets; 张老师 (zhang, a collector for 药学院) only reads.
"""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from accounts.models import Event
from collection.breakdown_io import HEADERS
from collection.models import Assignment, Cycle
from collection.selectors import tables_in_scope
from collection.services.assignments import (
    assignment_set,
    breakdown_publish,
    cycle_supplements_set,
)
from collection.services.closed import closed_message
from review.completeness import completeness_for_user
from review.export import export_readiness, package_write

pytestmark = pytest.mark.django_db
MEDICAL = "表5-2-3"  # the catalog's medical table (evidence-2024.json)


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


@pytest.fixture
def sets(cycle):
    """The catalog's marks, set here so that the tests do not hang on the catalog's file."""
    cycle.tables.filter(code__startswith="表SF-").update(supplement="teacher_education")
    cycle.tables.filter(code=MEDICAL).update(supplement="medical")
    return cycle


def codes(tables) -> set[str]:
    return {t.code for t in tables}


def save_sets(client, cycle, *chosen, follow=True):
    url = reverse("collection:cycle_supplements", args=[cycle.year])
    return client.post(url, {"supplements": list(chosen)}, follow=follow)


def shown(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# The setting --------------------------------------------------------------------------------


def test_the_office_ticks_the_medical_set_on_the_cycle_page(client_for, sets):
    client = client_for("xia")
    page = client.get(reverse("review:cycle_detail", args=[sets.year])).content.decode()
    assert zh("Supplementary table sets") in page
    assert "师范类专业补充表（表SF）" in page and "工科类专业补充表（表GK）" in page
    assert 'data-testid="set-medical"' not in page  # not ticked: no medical heading
    response = save_sets(client, sets, "medical")
    sets.refresh_from_db()
    assert sets.supplements == ["medical"]
    assert shown(response) == ["补充表设置已保存：医学类专业补充表。"]
    event = Event.objects.filter(action="cycle.update").latest("id")
    assert event.actor.username == "101206"
    assert event.data["changed"] == {"supplements": [[], ["medical"]]}
    page = response.content.decode()
    assert 'data-testid="set-medical"' in page and MEDICAL in page
    assert 'id="id_supplements_1" checked' in page and 'id="id_supplements_0" checked' not in page


def test_saving_the_same_sets_again_records_nothing(client_for, sets):
    client = client_for("xia")
    save_sets(client, sets, "medical")
    events = Event.objects.count()
    save_sets(client, sets, "medical")
    assert Event.objects.count() == events


@pytest.mark.parametrize("persona", ["zhang", "sun", "kong"])
def test_only_the_office_chooses_the_sets(client_for, sets, persona):
    client = client_for(persona)
    events = Event.objects.count()
    assert save_sets(client, sets, "medical", follow=False).status_code == 403
    sets.refresh_from_db()
    assert sets.supplements == [] and Event.objects.count() == events
    page = client.get(reverse("review:cycle_detail", args=[sets.year])).content.decode()
    assert reverse("collection:cycle_supplements", args=[sets.year]) not in page
    assert "本年度学院不填报补充表。" in page


def test_get_is_refused(client_for, sets):
    url = reverse("collection:cycle_supplements", args=[sets.year])
    assert client_for("xia").get(url).status_code == 405


def test_an_unknown_set_changes_nothing_and_says_so(client_for, sets):
    events = Event.objects.count()
    response = save_sets(client_for("xia"), sets, "medical", "veterinary")
    sets.refresh_from_db()
    assert sets.supplements == [] and Event.objects.count() == events
    assert shown(response) == ["只能勾选列出的补充表，未做任何更改。"]


def test_a_closed_cycle_keeps_its_sets(client_for, sets):
    Cycle.objects.filter(pk=sets.pk).update(status="done")  # set up directly: test data
    response = save_sets(client_for("xia"), sets, "medical")
    sets.refresh_from_db()
    assert sets.supplements == []
    assert response.status_code == 200
    assert shown(response) == [closed_message(sets)]


def test_a_set_without_tables_yet_says_the_template_pack_brings_them(client_for, sets):
    response = save_sets(client_for("xia"), sets, "engineering")
    assert any("工科类专业补充表（表GK）" in m and "加载本年度模板包" in m for m in shown(response))
    page = response.content.decode()
    assert 'data-testid="set-engineering"' in page
    breakdown = client_for("xia").get(reverse("collection:breakdown", args=[sets.year]))
    assert 'data-testid="empty-set"' in breakdown.content.decode()


# Unticking a set whose tables are in the 分工表 --------------------------------------------


def test_unticking_keeps_the_assigned_tables_and_names_them(client_for, sets, units, people):
    client = client_for("xia")
    save_sets(client, sets, "teacher_education")
    table = sets.tables.get(code="表SF-1")
    assignment_set(actor=people["xia"], cycle=sets, table=table, responsible_unit=units["academic"])
    response = save_sets(client, sets, "medical")
    sets.refresh_from_db()
    assert sets.supplements == ["medical"]
    assert any("表SF-1" in m and "仍照常采集" in m for m in shown(response))
    assert Event.objects.filter(action="cycle.update").latest("id").data["kept_in_breakdown"] == [
        "表SF-1"
    ]
    in_scope = codes(tables_in_scope(sets))
    assert "表SF-1" in in_scope and "表SF-2" not in in_scope and MEDICAL in in_scope
    page = client.get(reverse("collection:breakdown", args=[sets.year])).content.decode()
    assert 'data-testid="set-not-chosen"' in page and "表SF-2" not in page
    detail = response.content.decode()
    assert (
        zh(
            "This set is not ticked for this cycle; these tables are listed because they are in "
            "the task breakdown."
        )
        in detail
    )
    # The kept row can still change (a new deadline), but no other table of the set is added.
    assignment_set(
        actor=people["xia"], cycle=sets, table=table, responsible_unit=units["quality"], notes="x"
    )
    with pytest.raises(ValidationError, match="师范类专业补充表"):
        assignment_set(
            actor=people["xia"],
            cycle=sets,
            table=sets.tables.get(code="表SF-2"),
            responsible_unit=units["quality"],
        )
    assert not Assignment.objects.filter(table__code="表SF-2").exists()


def test_a_table_of_an_unticked_set_cannot_be_assigned_on_the_page_or_by_sheet(client_for, sets):
    client = client_for("xia")
    row = reverse("collection:breakdown_row", args=[sets.year, "表SF-1"])
    assert client.get(row).status_code == 404
    assert client.post(row, {"responsible_unit": 1}).status_code == 404
    book = Workbook()
    book.active.append(HEADERS)
    book.active.append([1, "表SF-1", "", "", "教务处", "", "", "", ""])
    book.active.append([2, "表SF-2", "", "", "", "", "", "", ""])  # left empty: fine
    out = io.BytesIO()
    book.save(out)
    file = io.BytesIO(out.getvalue())
    file.name = "分工表.xlsx"
    response = client.post(reverse("collection:breakdown_import", args=[sets.year]), {"file": file})
    assert response.status_code == 422
    (problem,) = response.context["problems"]
    assert problem["row"] == 2 and "表SF-1属于师范类专业补充表" in " ".join(problem["messages"])
    assert not Assignment.objects.filter(cycle=sets).exists()


# One selector, every consumer --------------------------------------------------------------


def _sheet_codes(content: bytes) -> set[str]:
    sheet = load_workbook(io.BytesIO(content)).active
    return {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}


def _zip_codes(content: bytes) -> set[str]:
    names = zipfile.ZipFile(io.BytesIO(content)).namelist()
    return {name.split(" ")[0] for name in names if name.endswith(".xlsx")}


def test_every_consumer_shows_the_same_tables(client_for, sets, units, people):
    """Medical ticked, one 表SF table kept from a set ticked before: the breakdown page and its
    sheet, the cycle page and its templates zip, a unit's templates zip, the dashboard,
    completeness and the export package all list exactly the tables in scope."""
    xia = people["xia"]
    cycle_supplements_set(actor=xia, cycle=sets, supplements=["teacher_education"])
    kept = sets.tables.get(code="表SF-3")
    assignment_set(actor=xia, cycle=sets, table=kept, responsible_unit=units["quality"])
    sets = cycle_supplements_set(actor=xia, cycle=sets, supplements=["medical"])
    expected = codes(tables_in_scope(sets))
    main = codes(sets.tables.filter(supplement=""))
    assert expected == main | {MEDICAL, "表SF-3"}
    for table in tables_in_scope(sets).exclude(code="表SF-3"):
        assignment_set(actor=xia, cycle=sets, table=table, responsible_unit=units["quality"])
    breakdown_publish(actor=xia, cycle=sets)
    client = client_for("xia")
    year = sets.year

    page = client.get(reverse("collection:breakdown", args=[year]))
    assert codes(row.table for row in page.context["rows"]) == expected
    assert "医学类专业补充表" in page.content.decode()
    sheet = client.get(reverse("collection:breakdown_export", args=[year])).content
    assert _sheet_codes(sheet) == expected
    detail = client.get(reverse("review:cycle_detail", args=[year]))
    assert codes(t for g in detail.context["categories"] for t in g.tables) == expected
    zipped = client.get(reverse("collection:cycle_templates", args=[year])).content
    assert _zip_codes(zipped) == expected
    unit_zip = reverse("collection:unit_templates", args=[year, units["quality"].pk])
    assert _zip_codes(client.get(unit_zip).content) == expected
    board = client.get(reverse("review:dashboard", args=[year])).context["board"]
    assert {t.code for t in board.tables} == expected
    assert sum(count for _v, _l, count, _c, _s in board.stage_counts) == len(expected)
    data = completeness_for_user(xia, sets)
    assert {i.table.code for i in data.items} == expected and data.not_in_breakdown == []
    readiness = export_readiness(sets)
    listed = readiness["ready"] + readiness["waiting"]
    assert {r.assignment.table.code for r in listed} == expected
    assert readiness["unassigned"] == []
    package = package_write(sets, io.BytesIO(), include_unapproved=True)
    assert {t.code for t in package.tables} == expected


def test_the_unassigned_tables_in_scope_agree_too(client_for, sets, units, people):
    """Nothing assigned yet, 医学 ticked: every page that lists what is not in the breakdown
    lists the main set and the medical table, and never a 表SF table."""
    sets = cycle_supplements_set(actor=people["xia"], cycle=sets, supplements=["medical"])
    table = sets.tables.get(code="表1-6")
    assignment_set(actor=people["xia"], cycle=sets, table=table, responsible_unit=units["academic"])
    expected = codes(tables_in_scope(sets)) - {"表1-6"}
    assert MEDICAL in expected and not any(c.startswith("表SF") for c in expected)
    page = client_for("xia").get(reverse("collection:breakdown", args=[sets.year]))
    assert codes(page.context["unassigned"]) == expected
    breakdown_publish(actor=people["xia"], cycle=sets)
    assert codes(completeness_for_user(people["xia"], sets).not_in_breakdown) == expected
    assert codes(export_readiness(sets)["unassigned"]) == expected
