"""Publishing a 分工表 that assigns a table whose columns are 字段待确认 (TableSpec.fields_pending)
warns, without refusing, until the office has loaded that table's template (fields_status
"template"): on the breakdown page before publishing, and as a message after it.

夏主任 (xia, the office) publishes; 张老师 (zhang, a collector for 药学院) only reads the grid.
"""

import pytest
from django.urls import reverse

from accounts.models import Event
from collection.models import FieldsStatus
from collection.services.assignments import assignment_set

pytestmark = pytest.mark.django_db
PENDING, PLAIN = "表1-6", "表1-1"
WARNING = "以下表字段待确认"
AFTER = "以下表已发布，但字段待确认"


@pytest.fixture
def breakdown(cycle, units, people):
    """Two rows: 表1-6 with provisional columns (set here), 表1-1 with the 2019 columns."""
    cycle.tables.update(fields_status=FieldsStatus.CATALOG)
    cycle.tables.filter(code=PENDING).update(fields_status=FieldsStatus.PROVISIONAL)
    for code in (PENDING, PLAIN):
        assignment_set(
            actor=people["xia"],
            cycle=cycle,
            table=cycle.tables.get(code=code),
            responsible_unit=units["academic"],
        )
    return cycle


def page(client, cycle) -> str:
    return client.get(reverse("collection:breakdown", args=[cycle.year])).content.decode()


def publish(client, cycle):
    return client.post(reverse("collection:breakdown_publish", args=[cycle.year]), follow=True)


def test_the_page_warns_before_publishing_and_names_what_to_do(client_for, breakdown):
    html = page(client_for("xia"), breakdown)
    assert 'data-testid="fields-pending"' in html
    start = html.index('data-testid="fields-pending"')
    alert = html[start : html.index("</div>", start)]
    assert WARNING in alert and "表1-6 本科生基本情况" in alert and PLAIN not in alert
    assert "加载本年度模板包" in alert
    assert html.count('data-testid="row-fields-pending"') == 1  # the grid marks the row
    assert "字段待确认" in html


def test_publishing_goes_ahead_and_warns_again(client_for, breakdown):
    response = publish(client_for("xia"), breakdown)
    breakdown.refresh_from_db()
    assert breakdown.published_at is not None  # a warning, not a refusal
    messages = [str(m) for m in response.context["messages"]]
    (warning,) = [m for m in messages if AFTER in m]
    assert "表1-6" in warning and "加载本年度模板包" in warning and PLAIN not in warning
    event = Event.objects.filter(action="breakdown.publish").latest("id")
    assert event.data["fields_pending"] == [PENDING]


def test_the_warning_goes_once_the_template_is_loaded(client_for, breakdown):
    breakdown.tables.filter(code=PENDING).update(fields_status=FieldsStatus.TEMPLATE)
    client = client_for("xia")
    html = page(client, breakdown)
    assert 'data-testid="fields-pending"' not in html
    assert 'data-testid="row-fields-pending"' not in html
    messages = [str(m) for m in publish(client, breakdown).context["messages"]]
    assert not any(AFTER in m for m in messages)
    assert (
        Event.objects.filter(action="breakdown.publish").latest("id").data["fields_pending"] == []
    )


def test_a_pending_table_left_unassigned_does_not_warn(client_for, cycle, units, people):
    cycle.tables.update(fields_status=FieldsStatus.CATALOG)
    cycle.tables.filter(code=PENDING).update(fields_status=FieldsStatus.UNKNOWN)
    assignment_set(
        actor=people["xia"],
        cycle=cycle,
        table=cycle.tables.get(code=PLAIN),
        responsible_unit=units["academic"],
    )
    html = page(client_for("xia"), cycle)
    assert 'data-testid="fields-pending"' not in html
    assert html.count('data-testid="row-fields-pending"') == 1  # still marked in the grid


def test_readers_see_the_mark_but_not_the_publishing_warning(client_for, breakdown):
    html = page(client_for("zhang"), breakdown)
    assert 'data-testid="fields-pending"' not in html
    assert html.count('data-testid="row-fields-pending"') == 1
