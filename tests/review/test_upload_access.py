"""Who reads an upload: a contribution's upload follows the contribution's access now, not who
uploaded it once; a pure 校验 upload stays its uploader's (and the office's).

张老师 (zhang) collects for 药学院 until the office (夏主任, xia) revokes the role; 李老师 (li)
reviews for 药学院; 赵老师 (zhao) collects for 护理学院 and must get 404 on 药学院's uploads.
"""

import io

import pytest
from django.urls import reverse

from accounts import services as accounts_services
from accounts.roles import UnitRole
from collection.models import Upload
from tests.review.conftest import BAD_ROWS, roster, upload

pytestmark = pytest.mark.django_db

KEY = "2023000001"  # a 学号 of the uploaded rows: shown in the findings and the workbook


def _urls(upload_row: Upload) -> tuple[str, str]:
    return (
        reverse("collection:check_result", args=[upload_row.pk]),
        reverse("collection:check_annotated", args=[upload_row.pk]),
    )


def test_a_revoked_collector_no_longer_reads_the_upload_on_the_check_page(
    client_for, staff, units, pharmacy
):
    version = upload(pharmacy, staff["zhang"], BAD_ROWS)
    page, workbook = _urls(version.upload)
    client = client_for("zhang")
    # While 张老师 collects, the check page leads to the contribution's own version pages.
    assert client.get(page, follow=True).status_code == 200
    assert client.get(workbook, follow=True).status_code == 200

    accounts_services.role_revoke(
        actor=staff["xia"], user=staff["zhang"], role=UnitRole.COLLECTOR, unit=units["pharmacy"]
    )
    contribution = reverse("review:contribution_detail", args=[pharmacy.pk])
    assert client.get(contribution).status_code == 404
    for url in (page, workbook):
        response = client.get(url)
        assert response.status_code == 404, url
        assert KEY.encode() not in response.content
    # The same answer as an upload that does not exist.
    missing = reverse("collection:check_result", args=[version.upload.pk + 1000])
    assert client.get(missing).status_code == 404


def test_a_contribution_upload_follows_the_contribution_not_the_uploader(
    client_for, staff, pharmacy
):
    version = upload(pharmacy, staff["zhang"], BAD_ROWS)
    page, workbook = _urls(version.upload)
    # 李老师 may see 药学院's contribution: the check page sends him to its version pages.
    response = client_for("li").get(page)
    assert response.status_code == 302
    assert response["Location"] == reverse("review:contribution_detail", args=[pharmacy.pk])
    response = client_for("li").get(workbook)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "review:version_annotated", args=[pharmacy.pk, version.number]
    )
    # 赵老师 (护理学院) may not: 404, nothing of the rows.
    for url in (page, workbook):
        response = client_for("zhao").get(url)
        assert response.status_code == 404
        assert KEY.encode() not in response.content


def test_a_check_upload_stays_its_uploaders_and_the_offices(client_for, staff, cycle):
    file = io.BytesIO(roster(BAD_ROWS))
    file.name = "名单.xlsx"
    client_for("zhang").post(reverse("collection:check"), {"table": "表1-6", "file": file})
    checked = Upload.objects.get(purpose=Upload.Purpose.CHECK)
    page, workbook = _urls(checked)
    for key in ("zhang", "xia"):
        response = client_for(key).get(page)
        assert response.status_code == 200 and KEY in response.content.decode()
        assert client_for(key).get(workbook).status_code == 200
    for key in ("li", "zhao"):
        assert client_for(key).get(page).status_code == 404
        assert client_for(key).get(workbook).status_code == 404
