"""The audit trail page and its .xlsx export: the office (夏主任) and the leadership (孔院长) read
it; everyone else gets 403. Setting up the personas already leaves events (people created,
roles given), which the filters pick from."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from accounts import services
from accounts.audit import event_record
from accounts.audit_export import EXPORT_HEADERS
from accounts.audit_labels import action_label
from accounts.models import Event

pytestmark = pytest.mark.django_db

LIST = "accounts:audit_list"
EXPORT = "accounts:audit_export"


def sheet_rows(response):
    book = load_workbook(io.BytesIO(response.content))
    return [[c.value for c in row] for row in book["操作记录"].iter_rows()]


@pytest.mark.parametrize("persona", ["zhang", "li", "chen", "sun", "han", "shao"])
def test_only_the_office_and_the_leadership_read_the_audit(client_for, persona):
    client = client_for(persona)
    assert client.get(reverse(LIST)).status_code == 403
    assert client.get(reverse(EXPORT)).status_code == 403


@pytest.mark.parametrize("persona", ["xia", "kong"])
def test_the_office_and_the_leadership_see_the_events(client_for, persona):
    response = client_for(persona).get(reverse(LIST))
    page = response.content.decode()
    assert response.status_code == 200
    assert "张老师" in page and "200301" in page
    assert reverse(LIST) in page  # the navigation links to it
    assert client_for(persona).post(reverse(LIST)).status_code == 405


def test_the_export_has_the_columns_and_neutralises_formulas(client_for, people, units):
    event_record(
        actor=people["xia"],
        action="contribution.return",
        obj=people["zhang"],
        unit=units["pharmacy"],
        from_state="source_review",
        to_state="drafting",
        reason='=HYPERLINK("http://evil.example","点我")',
        content_hash="ab" * 32,
        data={"note": "@SUM(A1)"},
    )
    response = client_for("xia").get(reverse(EXPORT), {"actor": "101206"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    rows = sheet_rows(response)
    assert rows[0] == EXPORT_HEADERS
    row = next(r for r in rows[1:] if r[9] == "ab" * 32)
    assert row[1:4] == ["101206", "夏主任", "药学院"]
    with translation.override("zh-hans"):
        assert row[4] == action_label("contribution.return")
    assert row[5] == str(people["zhang"])
    assert row[6:8] == ["来源审核", "填报中"]
    # Text as typed, with Excel's quote prefix, never a formula (tests/test_export_formulas.py).
    assert row[8] == '=HYPERLINK("http://evil.example","点我")'
    assert row[11].startswith('{"note": "@SUM')  # the JSON starts with {: nothing to neutralise
    cells = [
        c for r in load_workbook(io.BytesIO(response.content))["操作记录"].iter_rows() for c in r
    ]
    assert not [c for c in cells if c.data_type == "f"]
    assert all(c.quotePrefix for c in cells if str(c.value).startswith(("=", "+", "-", "@")))


def test_filters_by_actor_unit_action_and_dates(client_for, people, units):
    nursing = units["nursing"]
    services.unit_update(
        actor=people["xia"],
        unit=nursing,
        code=nursing.code,
        name="护理学院（新）",
        kind=nursing.kind,
        active=True,
    )
    client = client_for("xia")

    def count(**filters):
        return len(sheet_rows(client.get(reverse(EXPORT), filters))) - 1

    assert count(actor="101206") == Event.objects.filter(actor=people["xia"]).count() == 1
    assert count(action="unit.update") == 1
    assert count(unit=units["nursing"].pk, action="unit.update") == 1
    assert count(unit=units["pharmacy"].pk, action="unit.update") == 0
    today = timezone.localdate()
    assert count(year=today.year) == Event.objects.count()
    assert count(year=today.year - 1) == 0
    assert count(date_from=today + timedelta(days=1)) == 0
    assert count(date_to=today, date_from=today) == Event.objects.count()
    page = client.get(reverse(LIST), {"action": "unit.update"}).content.decode()
    assert "护理学院（新）" in page
    # A start after the end is refused with a message, not a 500.
    bad = client.get(reverse(LIST), {"date_from": today, "date_to": today - timedelta(days=3)})
    assert bad.status_code == 422
    assert client.get(reverse(EXPORT), {"date_from": "not a date"}).status_code == 422


def test_the_list_is_paginated_and_keeps_the_filters(client_for, people):
    for number in range(60):
        event_record(
            actor=people["xia"], action="person.unlock", obj=people["zhang"], data={"n": number}
        )
    page = client_for("xia").get(reverse(LIST), {"action": "person.unlock"}).content.decode()
    assert "1 / 2" in page and "action=person.unlock" in page and "page=2" in page
