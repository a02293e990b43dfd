"""The contribution page, its actions and "My work", driven as the personas would.

Personas (tests/conftest.py, tests/review/conftest.py): 张老师 (zhang) collects for 药学院;
李老师 (li) and 王老师 (wang) are its source reviewers; 陈院长 (chen) its head and may only sign
or return; 赵老师 (zhao) collects for 护理学院 and gets 404 on anything of 药学院; 孙老师 (sun)
second-reviews for 教务处, the responsible unit of 表1-6: he sees 药学院's contribution but may
not act on it before delivery; 钱老师 (qian) collects for 教务处; 孔院长 (kong) is leadership
(sees everything, acts on nothing here).
"""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts import services as accounts_services
from accounts.models import Event, Unit
from accounts.roles import UnitRole
from collection.models import Assignment, ContributionState, Upload, Version
from review.models import Review, Signature
from review.selectors import work_items_for_user
from tests.review.conftest import BAD_ROWS, PHARMACY_ROWS, roster, student, upload

S = ContributionState
ACTIONS = ["submit", "approve", "sign", "return", "explain", "upload"]


@pytest.fixture
def as_(client, staff):
    def sign_in(key):
        client.logout()
        client.force_login(staff[key])
        return client

    return sign_in


def url(contribution, action=""):
    name = f"review:contribution_{action}" if action else "review:contribution_detail"
    return reverse(name, args=[contribution.pk])


def post_file(client, contribution, rows, name="名单.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = rows if isinstance(rows, bytes) else roster(rows)
    return client.post(url(contribution, "upload"), {"file": SimpleUploadedFile(name, content)})


def actions_on_page(response):
    return {t.name for t, _url in response.context["actions"]}


def errors_of(response):
    return [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "error"]


def contribution_events(contribution):
    return list(
        Event.objects.filter(object_type="collection.contribution", object_id=str(contribution.pk))
        .order_by("created_at", "id")
        .values_list("action", flat=True)
    )


def test_the_whole_path_through_the_pages(as_, staff, pharmacy):
    zhang = as_("zhang")
    page = zhang.get(url(pharmacy))
    assert page.status_code == 200
    assert actions_on_page(page) == set()  # nothing uploaded: nothing to submit yet
    assert "upload-form" in page.content.decode()

    # 张老师 uploads a file with a duplicate 学号: the version is kept, the error shown.
    response = post_file(zhang, pharmacy, BAD_ROWS, "有错.xlsx")
    assert response.status_code == 302
    page = zhang.get(url(pharmacy))
    assert page.context["version"].number == 1
    assert page.context["version"].error_count == 1
    assert [r.finding.severity for r in page.context["findings"]] == ["error"]
    assert "有错.xlsx" in page.content.decode()
    assert "2023000001" in page.content.decode()
    assert actions_on_page(page) == set()  # an error blocks submission: no button

    # The fixed file becomes version 2; now he may submit.
    post_file(zhang, pharmacy, PHARMACY_ROWS, "改好.xlsx")
    page = zhang.get(url(pharmacy))
    assert page.context["version"].number == 2
    assert [v.number for v in page.context["versions"]] == [2, 1]
    assert actions_on_page(page) == {"submit"}
    response = zhang.post(url(pharmacy, "submit"))
    assert response.status_code == 302 and response.url == url(pharmacy)
    pharmacy.refresh_from_db()
    assert pharmacy.state == S.SOURCE_REVIEW
    assert "upload-form" not in zhang.get(url(pharmacy)).content.decode()

    # 李老师 and 王老师 approve.
    li = as_("li")
    assert actions_on_page(li.get(url(pharmacy))) == {"approve", "return"}
    li.post(url(pharmacy, "approve"))
    pharmacy.refresh_from_db()
    assert pharmacy.state == S.SOURCE_REVIEW
    assert actions_on_page(li.get(url(pharmacy))) == {"return"}  # counted once
    as_("wang").post(url(pharmacy, "approve"))
    pharmacy.refresh_from_db()
    assert pharmacy.state == S.HEAD_SIGNOFF

    # 陈院长 signs: delivered.
    chen = as_("chen")
    page = chen.get(url(pharmacy))
    assert actions_on_page(page) == {"sign", "return"}
    assert len(page.context["reviews"]) == 2
    chen.post(url(pharmacy, "sign"))
    pharmacy.refresh_from_db()
    assert pharmacy.state == S.DELIVERED
    assert Signature.objects.get(contribution=pharmacy).version.number == 2
    assert contribution_events(pharmacy) == [
        "version.create",
        "version.create",
        "contribution.submit",
        "contribution.approve",
        "contribution.approve",
        "contribution.sign",
    ]
    page = chen.get(url(pharmacy))
    assert actions_on_page(page) == set()
    assert len(page.context["events"]) == 6


def test_findings_needing_an_explanation_are_explained_on_the_page(
    as_, staff, pharmacy, explain_rule
):
    zhang = as_("zhang")
    post_file(zhang, pharmacy, [student("2023000001", "欧阳小明")])
    page = zhang.get(url(pharmacy))
    [row] = page.context["findings"]
    assert row.key and row.explanation is None
    assert "explain-form" in page.content.decode()
    assert actions_on_page(page) == set()  # not explained yet: no submit button

    response = zhang.post(url(pharmacy, "submit"))  # posted anyway: refused with the reason
    assert response.status_code == 302
    assert "请逐一说明后再提交" in errors_of(response)[0]
    pharmacy.refresh_from_db()
    assert pharmacy.state == S.DRAFTING

    version = pharmacy.current_version
    data = {"version": version.pk, "finding_key": row.key, "text": "复姓欧阳，姓名正确。"}
    assert zhang.post(url(pharmacy, "explain"), data).status_code == 302
    page = zhang.get(url(pharmacy))
    assert page.context["findings"][0].explanation.text == "复姓欧阳，姓名正确。"
    assert actions_on_page(page) == {"submit"}
    zhang.post(url(pharmacy, "submit"))
    pharmacy.refresh_from_db()
    assert pharmacy.state == S.SOURCE_REVIEW
    assert "explanation.add" in contribution_events(pharmacy)

    # Reviewers read the explanation but get no form.
    page = as_("li").get(url(pharmacy))
    assert "复姓欧阳" in page.content.decode()
    assert "explain-form" not in page.content.decode()


def test_an_empty_explanation_is_refused_with_a_message(as_, staff, pharmacy, explain_rule):
    zhang = as_("zhang")
    post_file(zhang, pharmacy, [student("2023000001", "欧阳小明")])
    key = zhang.get(url(pharmacy)).context["findings"][0].key
    data = {"version": pharmacy.versions.get().pk, "finding_key": key, "text": "  "}
    response = zhang.post(url(pharmacy, "explain"), data)
    assert response.status_code == 302
    assert "请填写说明" in errors_of(response)[0]
    assert not pharmacy.versions.get().explanations.exists()


def test_only_the_first_200_findings_are_shown_with_a_link_to_all(as_, staff, pharmacy):
    zhang = as_("zhang")
    rows = [student(f"2023{i:06d}", "") for i in range(210)]  # every name missing: 210 errors
    post_file(zhang, pharmacy, rows)
    page = zhang.get(url(pharmacy))
    assert page.context["findings_total"] >= 210
    assert len(page.context["findings"]) == 200
    assert 'data-testid="all-findings"' in page.content.decode()
    page = zhang.get(url(pharmacy) + "?findings=all")
    assert len(page.context["findings"]) == page.context["findings_total"]


def test_a_refused_file_shows_the_readers_message_and_stores_no_version(as_, staff, pharmacy):
    response = post_file(as_("zhang"), pharmacy, b"this is not a workbook", "名单.xlsx")
    assert response.status_code == 422
    refused = Upload.objects.get(purpose=Upload.Purpose.CONTRIBUTION)
    assert refused.status == Upload.Status.REJECTED
    assert refused.reason in response.content.decode()
    assert response.context["upload_form"].errors["file"] == [refused.reason]
    assert not Version.objects.exists()
    pharmacy.refresh_from_db()
    assert pharmacy.current_version is None


def test_return_needs_a_reason_and_is_shown_on_the_page(as_, staff, pharmacy):
    upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    as_("zhang").post(url(pharmacy, "submit"))
    li = as_("li")
    response = li.post(url(pharmacy, "return"), {"reason": " "})
    assert "请填写退回原因" in errors_of(response)[0]
    pharmacy.refresh_from_db()
    assert pharmacy.state == S.SOURCE_REVIEW

    li.post(url(pharmacy, "return"), {"reason": "第2行姓名与学籍系统不一致，请核对。"})
    pharmacy.refresh_from_db()
    assert pharmacy.state == S.DRAFTING
    assert Review.objects.get(contribution=pharmacy).decision == Review.Decision.RETURN
    page = as_("zhang").get(url(pharmacy))
    assert "第2行姓名与学籍系统不一致" in page.content.decode()
    assert contribution_events(pharmacy)[-1] == "contribution.return"


@pytest.mark.parametrize("action", ACTIONS)
def test_get_on_an_action_is_405(as_, staff, pharmacy, action):
    assert as_("zhang").get(url(pharmacy, action)).status_code == 405


@pytest.mark.parametrize("action", ["", *ACTIONS])
def test_an_outsider_gets_404_on_the_page_and_every_action(as_, staff, pharmacy, action):
    upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    zhao = as_("zhao")
    if action:
        response = zhao.post(url(pharmacy, action), {"reason": "x", "text": "x"})
    else:
        response = zhao.get(url(pharmacy))
    assert response.status_code == 404
    pharmacy.refresh_from_db()
    assert pharmacy.state == S.DRAFTING
    assert pharmacy.versions.count() == 1


def test_a_missing_id_is_404_too(as_, staff, pharmacy):
    assert as_("zhang").get(reverse("review:contribution_detail", args=[999999])).status_code == 404


@pytest.mark.parametrize("who", ["sun", "qian", "kong", "xia", "han", "shao", "li", "chen"])
def test_the_units_the_responsible_unit_and_college_groups_see_the_page(as_, staff, pharmacy, who):
    page = as_(who).get(url(pharmacy))
    assert page.status_code == 200
    assert "upload-form" not in page.content.decode()


def test_the_head_may_not_submit(as_, staff, pharmacy):
    upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    chen = as_("chen")
    assert actions_on_page(chen.get(url(pharmacy))) == set()
    assert chen.post(url(pharmacy, "submit")).status_code == 403
    pharmacy.refresh_from_db()
    assert pharmacy.state == S.DRAFTING
    assert "contribution.submit" not in contribution_events(pharmacy)


def test_the_responsible_units_second_reviewer_may_not_approve_a_source_review(
    as_, staff, pharmacy
):
    upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    as_("zhang").post(url(pharmacy, "submit"))
    sun = as_("sun")
    assert actions_on_page(sun.get(url(pharmacy))) == set()
    assert sun.post(url(pharmacy, "approve")).status_code == 403
    assert sun.post(url(pharmacy, "return"), {"reason": "不对"}).status_code == 403
    pharmacy.refresh_from_db()
    assert pharmacy.state == S.SOURCE_REVIEW
    assert not Review.objects.exists()


@pytest.mark.parametrize("action", ["upload", "explain"])
def test_a_reviewer_may_not_change_the_data(as_, staff, pharmacy, action):
    li = as_("li")
    if action == "upload":
        response = post_file(li, pharmacy, PHARMACY_ROWS)
    else:
        upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
        data = {"version": pharmacy.versions.get().pk, "finding_key": "x|1|y", "text": "x"}
        response = li.post(url(pharmacy, action), data)
    assert response.status_code == 403
    assert not Upload.objects.filter(uploaded_by=staff["li"]).exists()


def test_a_reviewer_who_uploaded_the_version_may_not_approve_it(as_, staff, units, pharmacy):
    accounts_services.role_assign(
        actor=None, user=staff["li"], role=UnitRole.COLLECTOR, unit=units["pharmacy"]
    )
    li = as_("li")
    post_file(li, pharmacy, PHARMACY_ROWS)
    li.post(url(pharmacy, "submit"))
    pharmacy.refresh_from_db()
    assert pharmacy.state == S.SOURCE_REVIEW

    assert actions_on_page(li.get(url(pharmacy))) == {"return"}
    response = li.post(url(pharmacy, "approve"))
    assert response.status_code == 302
    assert "第1版是您本人上传的" in errors_of(response)[0]
    pharmacy.refresh_from_db()
    assert pharmacy.state == S.SOURCE_REVIEW
    assert not Review.objects.exists()
    assert actions_on_page(as_("wang").get(url(pharmacy))) == {"approve", "return"}


def test_upload_is_refused_once_submitted(as_, staff, pharmacy):
    upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    zhang = as_("zhang")
    zhang.post(url(pharmacy, "submit"))
    response = post_file(zhang, pharmacy, PHARMACY_ROWS)
    assert response.status_code == 422
    assert "只有填报中才能修改" in str(response.context["upload_form"].errors["file"])
    assert pharmacy.versions.count() == 1


# My work --------------------------------------------------------------------------------------


def work(client):
    return [(c.unit.code, c.state) for c in client.get(reverse("home")).context["work_items"]]


def test_my_work_lists_what_waits_for_each_person(as_, staff, pharmacy, academic):
    assert work(as_("zhang")) == [("2003", S.DRAFTING)]
    assert work(as_("qian")) == [("1002", S.DRAFTING)]
    for who in ("li", "wang", "chen", "zhao", "sun", "kong"):
        assert work(as_(who)) == [], who

    upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    as_("zhang").post(url(pharmacy, "submit"))
    assert work(as_("zhang")) == []
    assert work(as_("li")) == [("2003", S.SOURCE_REVIEW)]
    assert work(as_("wang")) == [("2003", S.SOURCE_REVIEW)]

    as_("li").post(url(pharmacy, "approve"))
    assert work(as_("li")) == []  # already approved this version
    assert work(as_("wang")) == [("2003", S.SOURCE_REVIEW)]
    assert work(as_("chen")) == []

    as_("wang").post(url(pharmacy, "approve"))
    assert work(as_("wang")) == []
    page = as_("chen").get(reverse("home"))
    assert [(c.unit.code, c.state) for c in page.context["work_items"]] == [
        ("2003", S.HEAD_SIGNOFF)
    ]
    assert url(pharmacy) in page.content.decode()

    as_("chen").post(url(pharmacy, "sign"))
    assert work(as_("chen")) == []


def test_my_work_puts_the_nearest_deadline_first(
    as_, staff, units, assignment, pharmacy, academic, django_assert_max_num_queries
):
    accounts_services.role_assign(
        actor=None, user=staff["zhang"], role=UnitRole.COLLECTOR, unit=units["academic"]
    )
    dates = {
        "assisting_deadline": datetime.date(2026, 9, 10),
        "responsible_deadline": datetime.date(2026, 9, 20),
    }
    Assignment.objects.filter(pk=assignment.pk).update(**dates)
    assert work(as_("zhang")) == [("2003", S.DRAFTING), ("1002", S.DRAFTING)]

    dates["assisting_deadline"] = datetime.date(2026, 9, 30)
    Assignment.objects.filter(pk=assignment.pk).update(**dates)
    client = as_("zhang")
    # 17: the merged tables waiting have their own query, the announcements to read one more
    with django_assert_max_num_queries(17):
        page = client.get(reverse("home"))
    assert [c.unit.code for c in page.context["work_items"]] == ["1002", "2003"]
    assert page.context["work_items"][0].deadline == datetime.date(2026, 9, 20)


def test_my_work_is_two_queries_however_many_items(
    staff, units, pharmacy, academic, django_assert_max_num_queries
):
    for unit in (units["academic"], units["nursing"]):
        accounts_services.role_assign(
            actor=None, user=staff["zhang"], role=UnitRole.COLLECTOR, unit=unit
        )
    ContentType.objects.get_for_model(Unit)  # cached for the process, as in production
    with django_assert_max_num_queries(2):
        items = list(work_items_for_user(staff["zhang"]))
    assert [c.unit.code for c in items] == ["1002", "2003"]
