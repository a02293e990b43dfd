"""A new cycle starts from last year's task breakdown (分工表), unpublished, for the office
(夏主任) to adjust; every unit keeps its people, since roles are per unit.

2026: 表1-6 is 教务处's with 药学院 and 护理学院 assisting; 表1-1 (single record) is 教务处's
with 药学院 owning 英文名称; 表2-1 is 护理学院's. 护理学院 is then closed (inactive).
"""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts import services as accounts_services
from accounts.models import Event
from accounts.roles import UnitRole
from accounts.selectors import has_unit_role
from collection.models import Assignment, Contribution, Cycle
from collection.services.assignments import assignment_set, breakdown_publish
from collection.services.breakdown_copy import breakdown_copy_from
from collection.services.specs import catalog_load, cycle_create_from_previous

pytestmark = pytest.mark.django_db


@pytest.fixture
def last_year(cycle, units, people):
    ph, nu, ac = units["pharmacy"], units["nursing"], units["academic"]
    xia = people["xia"]
    assignment_set(
        actor=xia,
        cycle=cycle,
        table=cycle.tables.get(code="表1-6"),
        responsible_unit=ac,
        assisting_units=[ph, nu],
        assisting_deadline=date(2026, 10, 10),
        responsible_deadline=date(2026, 10, 20),
        notes="各学院报本院学生",
    )
    assignment_set(
        actor=xia,
        cycle=cycle,
        table=cycle.tables.get(code="表1-1"),
        responsible_unit=ac,
        assisting_units=[ph],
        field_owners={"2003": ["英文名称"]},
    )
    assignment_set(
        actor=xia, cycle=cycle, table=cycle.tables.get(code="表2-1"), responsible_unit=nu
    )
    breakdown_publish(actor=xia, cycle=cycle)
    accounts_services.unit_update(
        actor=xia, unit=nu, code=nu.code, name=nu.name, kind=nu.kind, active=False
    )
    return cycle


def test_a_new_cycle_takes_over_last_years_breakdown_unpublished(last_year, units, people):
    new = cycle_create_from_previous(actor=people["xia"], previous=last_year, year=2027)
    rows = {a.table.code: a for a in new.assignments.select_related("table", "responsible_unit")}
    assert set(rows) == {"表1-6", "表1-1"}  # 表2-1's responsible unit is inactive
    roster = rows["表1-6"]
    assert roster.table.cycle == new and roster.responsible_unit == units["academic"]
    assert [u.name for u in roster.assisting_units.all()] == ["药学院"]  # 护理学院 dropped
    assert (roster.assisting_deadline, roster.responsible_deadline) == (
        date(2027, 10, 10),
        date(2027, 10, 20),
    )
    assert roster.notes == "各学院报本院学生"
    assert rows["表1-1"].field_owners == {"2003": ["英文名称"]}
    assert new.published_at is None
    assert not Contribution.objects.filter(assignment__cycle=new).exists()
    event = Event.objects.get(action="breakdown.copy", object_id=str(new.pk))
    assert event.actor == people["xia"] and set(event.data["copied"]) == {"表1-1", "表1-6"}
    assert ["表2-1", "护理学院", "responsible"] in event.data["inactive_units"]
    assert ["表1-6", "护理学院", "assisting"] in event.data["inactive_units"]
    # Roles are per unit: once published, 张老师 collects 药学院's rows again.
    breakdown_publish(actor=people["xia"], cycle=new)
    mine = Contribution.objects.get(assignment=roster, unit=units["pharmacy"])
    assert has_unit_role(people["zhang"], UnitRole.COLLECTOR, mine.unit)


def test_a_table_the_new_cycle_no_longer_has_is_skipped(last_year, people):
    target, _added = catalog_load(actor=people["xia"], year=2028)
    target.tables.get(code="表1-6").delete()
    report = breakdown_copy_from(actor=people["xia"], cycle=target, source=last_year)
    assert report.missing_tables == ["表1-6"]
    assert report.copied == ["表1-1"]
    # Copying again overwrites nothing.
    again = breakdown_copy_from(actor=people["xia"], cycle=target, source=last_year)
    assert again.copied == [] and again.already_assigned == ["表1-1"]
    assert Assignment.objects.filter(cycle=target).count() == 1


def test_a_published_breakdown_is_not_copied_over(last_year, people):
    with pytest.raises(ValidationError):
        breakdown_copy_from(actor=people["xia"], cycle=last_year, source=last_year)


def test_the_office_sees_what_was_copied(client_for, last_year):
    response = client_for("xia").post(
        reverse("collection:cycle_create"), {"year": 2027, "previous": last_year.pk}, follow=True
    )
    said = " ".join(str(m) for m in response.context["messages"])
    assert response.redirect_chain[-1][0] == reverse("review:cycle_detail", args=[2027])
    new = Cycle.objects.get(year=2027)
    assert new.assignments.count() == 2
    assert "2026" in said and "表2-1" in said and "护理学院" in said
    assert "2" in said.split("2026")[0]  # the number of rows copied comes first
    # Created from the catalog, there is nothing to copy and nothing is said about it.
    plain = client_for("xia").post(reverse("collection:cycle_create"), {"year": 2030}, follow=True)
    assert "表2-1" not in " ".join(str(m) for m in plain.context["messages"])
