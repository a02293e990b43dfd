"""A double click (or a page left open while someone else acted) on an action that has already
moved the table on: the person is told it was already dealt with and where it stands now, not
shown a 403 page; nothing more happens.

孙老师 (sun) second-reviews 教务处's merged 表1-6; 陈院长 (chen) signs for 药学院."""

from django.urls import reverse

from accounts.models import Event
from review import workflow
from tests.review.conftest import PHARMACY_ROWS, to_head


def _messages(response):
    return [str(m) for m in response.context["messages"]]


def test_approving_twice_says_it_is_done_and_where_the_table_is(
    client, staff, report, delivered_all
):
    workflow.table_report_start_second_review(actor=staff["sun"], report=report)
    client.force_login(staff["sun"])
    page = client.get(reverse("review:report_detail", args=[report.pk]))
    assert 'name="from_state" value="second_review"' in page.content.decode()
    url = reverse("review:report_approve", args=[report.pk])
    form = {"confirm": "1", "from_state": "second_review"}
    assert client.post(url, form).status_code == 302
    events = Event.objects.count()
    second = client.post(url, form, follow=True)
    assert second.status_code == 200
    report.refresh_from_db()
    assert report.state == "collection_check"
    assert any("已经处理过" in m and report.get_state_display() in m for m in _messages(second))
    assert Event.objects.count() == events


def test_without_the_page_state_a_stale_approval_is_still_refused(
    client, staff, report, delivered_all
):
    """The check is no back door: a post that does not say what the page showed gets the
    workflow's answer (403 for someone who no longer holds the stage)."""
    workflow.table_report_start_second_review(actor=staff["sun"], report=report)
    workflow.table_report_approve(actor=staff["sun"], report=report)
    client.force_login(staff["sun"])
    response = client.post(reverse("review:report_approve", args=[report.pk]), {"confirm": "1"})
    assert response.status_code == 403


def test_signing_twice_says_it_is_delivered(client, staff, pharmacy):
    s = staff
    to_head(pharmacy, s["zhang"], [s["li"], s["wang"]], PHARMACY_ROWS)
    client.force_login(s["chen"])
    url = reverse("review:contribution_sign", args=[pharmacy.pk])
    form = {"from_state": "head_signoff"}
    assert client.post(url, form).status_code == 302
    second = client.post(url, form, follow=True)
    assert second.status_code == 200
    assert any("已经处理过" in m for m in _messages(second))
    pharmacy.refresh_from_db()
    assert pharmacy.state == "delivered" and pharmacy.signatures.count() == 1


def test_returning_twice_is_not_a_second_return(client, staff, pharmacy):
    s = staff
    to_head(pharmacy, s["zhang"], [s["li"], s["wang"]], PHARMACY_ROWS)
    client.force_login(s["chen"])
    url = reverse("review:contribution_return", args=[pharmacy.pk])
    form = {"from_state": "head_signoff", "reason": "学号有误"}
    assert client.post(url, form).status_code == 302
    returns = Event.objects.filter(action="contribution.return").count()
    second = client.post(url, form, follow=True)
    assert second.status_code == 200
    assert any("已经处理过" in m for m in _messages(second))
    assert Event.objects.filter(action="contribution.return").count() == returns
