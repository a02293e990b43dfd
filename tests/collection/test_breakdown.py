"""The task breakdown: assignment_set and breakdown_publish.

夏主任 (office) sets and publishes the breakdown; 张老师 (a collector), 孙老师 (second reviewer)
and 韩老师 (collection group) may not.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from accounts.models import Event
from collection.models import Contribution, TableReport, TableSpec
from collection.services.assignments import assignment_set, breakdown_publish

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_messages():
    with translation.override("en"):
        yield


def test_only_the_office_sets_and_publishes_the_breakdown(cycle, units, people):
    table = cycle.tables.get(code="表1-6")
    for key in ("zhang", "sun", "han"):
        with pytest.raises(PermissionDenied):
            assignment_set(
                actor=people[key], cycle=cycle, table=table, responsible_unit=units["academic"]
            )
        with pytest.raises(PermissionDenied):
            breakdown_publish(actor=people[key], cycle=cycle)
    with pytest.raises(ValidationError, match="empty"):
        breakdown_publish(actor=people["xia"], cycle=cycle)


def test_publishing_is_idempotent_and_adds_only_what_is_missing(cycle, units, people):
    xia = people["xia"]
    t16, t17 = cycle.tables.get(code="表1-6"), cycle.tables.exclude(code="表1-6").first()
    assignment_set(
        actor=xia,
        cycle=cycle,
        table=t16,
        responsible_unit=units["academic"],
        assisting_units=[units["pharmacy"]],
    )
    assert breakdown_publish(actor=xia, cycle=cycle) == 2
    assert breakdown_publish(actor=xia, cycle=cycle) == 0
    assignment_set(
        actor=xia,
        cycle=cycle,
        table=t16,
        responsible_unit=units["academic"],
        assisting_units=[units["pharmacy"], units["nursing"]],
    )
    assignment_set(actor=xia, cycle=cycle, table=t17, responsible_unit=units["quality"])
    assert breakdown_publish(actor=xia, cycle=cycle) == 2
    assert Contribution.objects.count() == 4 and TableReport.objects.count() == 2
    cycle.refresh_from_db()
    assert cycle.published_at is not None
    assert Event.objects.filter(action="breakdown.publish").count() == 3
    assert Event.objects.filter(action="assignment.update").count() == 1


def test_field_owners_must_be_assisting_units_and_real_fields(cycle, units, people):
    table = cycle.tables.filter(row_mode=TableSpec.RowMode.SINGLE).first()
    field = table.fields.first().name
    common = dict(actor=people["xia"], cycle=cycle, table=table, responsible_unit=units["academic"])
    with pytest.raises(ValidationError, match="not one of its assisting units"):
        assignment_set(**common, field_owners={"2003": [field]})
    with pytest.raises(ValidationError, match="no field"):
        assignment_set(
            **common, assisting_units=[units["pharmacy"]], field_owners={"2003": ["无此字段"]}
        )
