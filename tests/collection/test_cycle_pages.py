"""Cycle and spec pages: everyone signed in reads them; only the office changes them."""

import io
import zipfile

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from accounts.models import Event
from collection.models import Cycle
from collection.schema import catalog_schemas
from collection.selectors import tables_in_scope

pytestmark = pytest.mark.django_db


def urls(cycle):
    return [
        reverse("collection:cycle_list"),
        reverse("review:cycle_detail", args=[cycle.year]),
        reverse("collection:cycle_changes", args=[cycle.year]),
        reverse("collection:table_detail", args=[cycle.year, "表5-1-1"]),
        reverse("collection:table_template", args=[cycle.year, "表5-1-1"]),
    ]


@pytest.mark.parametrize("persona", ["zhang", "chen", "sun", "han", "xia", "kong"])
def test_everyone_reads_cycles_and_specs(client_for, cycle, persona):
    client = client_for(persona)
    for url in urls(cycle):
        assert client.get(url).status_code == 200, url


def test_a_table_page_explains_each_column(client_for, cycle):
    page = (
        client_for("zhang")
        .get(reverse("collection:table_detail", args=[cycle.year, "表1-6"]))
        .content.decode()
    )
    for header in catalog_schemas()["表1-6"].headers:
        assert header in page
    assert "学校对全日制本科在校生的学籍管理编号" in page  # the 指标解释 of 学号


def test_template_download_is_the_tables_template(client_for, cycle):
    response = client_for("zhang").get(
        reverse("collection:table_template", args=[cycle.year, "表1-6"])
    )
    book = load_workbook(io.BytesIO(response.content))
    sheet = book[catalog_schemas()["表1-6"].sheet_name]
    assert [c.value for c in sheet[1]] == catalog_schemas()["表1-6"].headers
    assert book["_caiji"]["B1"].value == "表1-6"


def test_all_or_ticked_templates_as_a_zip(client_for, cycle):
    client = client_for("zhang")
    everything = zipfile.ZipFile(
        io.BytesIO(client.get(reverse("collection:cycle_templates", args=[cycle.year])).content)
    )
    in_scope = tables_in_scope(cycle).count()  # no supplementary set ticked: the main set
    assert len([n for n in everything.namelist() if n.endswith(".xlsx")]) == in_scope
    ticked = client.get(
        reverse("collection:cycle_templates", args=[cycle.year]), {"table": ["表1-6", "表5-1-1"]}
    )
    names = zipfile.ZipFile(io.BytesIO(ticked.content)).namelist()
    assert sorted(n for n in names if n.endswith(".xlsx")) == [
        "表1-6 本科生基本情况.xlsx",
        "表5-1-1 开课情况.xlsx",
    ]


def test_only_the_office_edits(client_for, cycle):
    field = cycle.tables.get(code="表1-6").fields.get(name="学号")
    edit = reverse("collection:field_edit", args=[cycle.year, "表1-6", field.pk])
    refresh = reverse("collection:table_refresh", args=[cycle.year, "表1-6"])
    for persona in ["zhang", "han", "kong"]:
        client = client_for(persona)
        assert client.get(edit).status_code == 403
        assert client.post(edit, {"required": "on", "max_len": "5"}).status_code == 403
        assert client.get(refresh).status_code == 403
        assert client.post(reverse("review:cycle_advance", args=[cycle.year])).status_code == 403
        assert client.post(reverse("collection:cycle_create"), {"year": 2027}).status_code == 403
    field.refresh_from_db()
    assert field.max_len == 20
    cycle.refresh_from_db()
    assert cycle.status == "preparing" and not Cycle.objects.filter(year=2027).exists()


def test_office_edits_a_column(client_for, cycle):
    field = cycle.tables.get(code="表1-6").fields.get(name="性别")
    client = client_for("xia")
    response = client.post(
        reverse("collection:field_edit", args=[cycle.year, "表1-6", field.pk]),
        {
            "required": "on",
            "max_len": "",
            "format": "",
            "help": "按身份证填写",
            "codes": "男\n女\n 男 \n",
        },
    )
    assert response.status_code == 302
    field.refresh_from_db()
    assert field.code_list.values == ["男", "女"] and field.help == "按身份证填写"


def test_office_refreshes_a_spec_from_the_platform_template(client_for, cycle):
    client = client_for("xia")
    headers = catalog_schemas()["表2-1"].headers
    book = Workbook()
    book.active.append([*headers[:-1], "新增指标"])
    out = io.BytesIO()
    book.save(out)
    url = reverse("collection:table_refresh", args=[cycle.year, "表2-1"])
    file = io.BytesIO(out.getvalue())
    file.name = "表2-1.xls"
    response = client.post(url, {"file": file})
    assert response.status_code == 200
    diff = response.context["diff"]
    assert diff.added == ["新增指标"] and diff.removed == [headers[-1]]
    assert (
        list(cycle.tables.get(code="表2-1").fields.values_list("name", flat=True)) == headers
    )  # not yet
    response = client.post(url, {"apply": "1"})
    assert response.status_code == 302
    assert list(cycle.tables.get(code="表2-1").fields.values_list("name", flat=True)) == [
        *headers[:-1],
        "新增指标",
    ]


def test_a_non_template_is_refused_on_refresh(client_for, cycle):
    file = io.BytesIO(b"<html>nope</html>")
    file.name = "x.xlsx"
    response = client_for("xia").post(
        reverse("collection:table_refresh", args=[cycle.year, "表2-1"]), {"file": file}
    )
    assert response.status_code == 422


def test_office_creates_the_next_year_and_moves_stages(client_for, cycle):
    client = client_for("xia")
    response = client.post(reverse("collection:cycle_create"), {"year": 2027, "previous": cycle.pk})
    assert response.status_code == 302
    new = Cycle.objects.get(year=2027)
    assert new.tables.count() == cycle.tables.count()
    for expected in ["deployment", "collecting", "reviewing", "reviewing"]:
        client.post(reverse("review:cycle_advance", args=[new.year]))
        new.refresh_from_db()
        assert new.status == expected
    assert Event.objects.filter(action="cycle.advance", object_id=str(new.pk)).count() == 3
    # The last step is closing the cycle (tests/review/test_cycle_close.py), not an advance.
    page = client.get(reverse("review:cycle_detail", args=[new.year])).content.decode()
    assert reverse("review:cycle_advance", args=[new.year]) not in page
    assert reverse("review:cycle_close", args=[new.year]) in page


def test_office_changes_the_dates(client_for, cycle):
    client = client_for("xia")
    data = {
        "snapshot_date": "2026-10-31",
        "academic_start": "2025-09-01",
        "academic_end": "2026-08-31",
        "natural_start": "2025-01-01",
        "natural_end": "2025-12-31",
        "deployment_deadline": "",
        "collection_deadline": "2026-10-15",
        "review_deadline": "",
    }
    assert client.post(reverse("review:cycle_detail", args=[cycle.year]), data).status_code == 302
    cycle.refresh_from_db()
    assert (
        str(cycle.snapshot_date) == "2026-10-31" and str(cycle.collection_deadline) == "2026-10-15"
    )
    bad = {**data, "academic_start": "2026-09-01"}
    assert client.post(reverse("review:cycle_detail", args=[cycle.year]), bad).status_code == 422


def test_unknown_cycle_or_table_is_404(client_for, cycle):
    client = client_for("zhang")
    assert client.get(reverse("review:cycle_detail", args=[1999])).status_code == 404
    assert (
        client.get(reverse("collection:table_detail", args=[cycle.year, "表9-9"])).status_code
        == 404
    )


def test_office_sets_the_year_over_year_thresholds(client_for, cycle):
    field = cycle.tables.get(code="表6-1").fields.get(name="普通本科学生数")
    client = client_for("xia")
    response = client.post(
        reverse("collection:field_edit", args=[cycle.year, "表6-1", field.pk]),
        {"required": "on", "change_threshold": "5", "change_floor": "50", "help": field.help},
    )
    assert response.status_code == 302
    field.refresh_from_db()
    assert (field.change_threshold, field.change_floor) == (5, 50)
    changed = Event.objects.filter(action="spec.field_update").latest("id").data["changed"]
    assert set(changed) >= {"change_threshold", "change_floor"}
    # The cycle's defaults: kept when the dates form is sent without them, changed when given.
    dates = {f: str(getattr(cycle, f)) for f in ("snapshot_date", "academic_start")}
    dates |= {f: str(getattr(cycle, f)) for f in ("academic_end", "natural_start", "natural_end")}
    url = reverse("review:cycle_detail", args=[cycle.year])
    assert client.post(url, dates).status_code == 302
    cycle.refresh_from_db()
    assert (cycle.change_threshold, cycle.change_floor) == (20, 10)
    assert client.post(url, {**dates, "change_threshold": "30"}).status_code == 302
    cycle.refresh_from_db()
    assert cycle.change_threshold == 30
