"""The printable sign-off sheet and the verify page its QR code points at.

药学院's rows of 表1-6 are uploaded by 张老师, approved by 李老师 and 王老师 and signed by 陈院长.
韩老师 (collection group) checks paper copies; 李老师 may see the contribution but not record a
check; 赵老师 (护理学院) may not see it at all.
"""

import pytest
from django.urls import reverse

from accounts.models import Event
from collection.models import ContributionState
from review import workflow
from review.models import Signature
from tests.review.conftest import PHARMACY_ROWS, deliver, to_head

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(staff, pharmacy):
    deliver(pharmacy, staff["zhang"], [staff["li"], staff["wang"]], staff["chen"], PHARMACY_ROWS)
    return Signature.objects.get(contribution=pharmacy)


def verify_url(signature, content_hash=None):
    return reverse(
        "review:signoff_verify", args=[signature.pk, content_hash or signature.content_hash]
    )


def test_the_sheet_shows_what_was_signed_and_a_qr_code_of_the_verify_address(
    client_for, pharmacy, signed
):
    response = client_for("zhang").get(reverse("review:signoff_sheet", args=[pharmacy.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert f'data-content-hash="{signed.content_hash}"' in page
    # The hash is printed in groups of four for reading.
    assert f"<span>{signed.content_hash[:4]}</span><span>{signed.content_hash[4:8]}</span>" in page
    for text in ("表1-6", "药学院", "李老师", "200302", "王老师", "200303", "陈院长", "200304"):
        assert text in page
    assert 'data-testid="signoff-rows">2<' in page
    assert 'data-testid="signoff-version">1<' in page
    assert '<svg viewBox="' in page and 'class="signoff-qr"' in page
    absolute = f"http://testserver{verify_url(signed)}"
    assert f'data-verify-url="{absolute}"' in page
    assert 'data-testid="signoff-draft"' not in page
    # A page to print: no navigation, and the print button works without inline script.
    assert "navbar" not in page and "onclick" not in page and "js/print.js" in page


def test_a_contribution_waiting_for_the_head_gets_a_draft_sheet_without_qr_code(
    client_for, staff, pharmacy
):
    to_head(pharmacy, staff["zhang"], [staff["li"], staff["wang"]], PHARMACY_ROWS)
    page = client_for("chen").get(reverse("review:signoff_sheet", args=[pharmacy.pk]))
    content = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="signoff-draft"' in content and "data-verify-url" not in content
    assert "李老师" in content and "王老师" in content and "陈院长" in content


def test_no_sheet_before_the_reviewers_have_approved(client_for, pharmacy):
    response = client_for("zhang").get(reverse("review:signoff_sheet", args=[pharmacy.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("review:contribution_detail", args=[pharmacy.pk])


def test_outsiders_get_404_for_the_sheet_and_the_verify_page(client_for, pharmacy, signed):
    client = client_for("zhao")
    assert client.get(reverse("review:signoff_sheet", args=[pharmacy.pk])).status_code == 404
    assert client.get(verify_url(signed)).status_code == 404
    assert client.get(reverse("review:signoff_verify_form", args=[signed.pk])).status_code == 404
    assert (
        client.post(
            reverse("review:signoff_paper_check", args=[signed.pk, signed.content_hash])
        ).status_code
        == 404
    )
    assert client.get(verify_url(signed).replace(str(signed.pk), "999999", 1)).status_code == 404


def test_verify_says_whether_the_hash_matches_the_delivered_version(client_for, signed):
    client = client_for("han")

    def result(content_hash):
        page = client.get(verify_url(signed, content_hash)).content.decode()
        return page.split('data-result="')[1].split('"')[0]

    assert result(signed.content_hash) == "current"
    assert result(signed.content_hash[:16]) == "current"  # the first 16 characters suffice
    assert result(signed.content_hash[:8]) == "short"
    wrong = ("0" if signed.content_hash[0] != "0" else "1") + signed.content_hash[1:]
    assert result(wrong) == "mismatch"


def test_a_typed_hash_with_spaces_goes_to_the_verify_address(client_for, signed):
    spaced = " ".join(signed.content_hash[i : i + 4] for i in range(0, 24, 4)).upper()
    response = client_for("han").get(
        reverse("review:signoff_verify_form", args=[signed.pk]), {"hash": spaced}
    )
    assert response.status_code == 302
    assert response["Location"] == verify_url(signed, signed.content_hash[:24])
    start = client_for("han").get(
        reverse("review:signoff_verify_start"), {"signature": signed.pk, "hash": spaced}
    )
    assert start["Location"] == verify_url(signed, signed.content_hash[:24])


def test_the_collection_group_records_a_matching_paper_copy(client_for, pharmacy, signed):
    client = client_for("han")
    url = reverse("review:signoff_paper_check", args=[signed.pk, signed.content_hash[:16]])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    event = Event.objects.get(action="signature.paper_checked")
    assert event.actor.username == "101207" and event.object_id == str(pharmacy.pk)
    assert event.content_hash == signed.content_hash and event.data["signature"] == signed.pk
    assert event.unit.name == "药学院"
    page = client.get(verify_url(signed)).content.decode()
    assert 'data-testid="paper-checks"' in page


def test_a_paper_check_is_refused_on_a_mismatch_and_for_others(client_for, signed):
    wrong = ("0" if signed.content_hash[0] != "0" else "1") + signed.content_hash[1:]
    response = client_for("han").post(
        reverse("review:signoff_paper_check", args=[signed.pk, wrong]), follow=True
    )
    assert "内容哈希与签字" in response.content.decode()
    # 李老师 may see the contribution but is not in the collection group.
    ok = reverse("review:signoff_paper_check", args=[signed.pk, signed.content_hash])
    assert client_for("li").post(ok).status_code == 403
    assert not Event.objects.filter(action="signature.paper_checked").exists()
    page = client_for("li").get(verify_url(signed)).content.decode()
    assert ok not in page  # no button for whoever may not record


def test_a_returned_contribution_makes_its_old_signature_superseded(
    client_for, staff, pharmacy, signed
):
    workflow.contribution_return(actor=staff["qian"], contribution=pharmacy, reason="学号有误")
    pharmacy.refresh_from_db()
    assert pharmacy.state == ContributionState.DRAFTING
    client = client_for("han")
    page = client.get(verify_url(signed)).content.decode()
    assert 'data-result="superseded"' in page
    client.post(reverse("review:signoff_paper_check", args=[signed.pk, signed.content_hash]))
    assert not Event.objects.filter(action="signature.paper_checked").exists()
    sheet = client.get(reverse("review:signoff_sheet", args=[pharmacy.pk])).content.decode()
    assert "signoff-status-old" in sheet  # the old sheet is marked superseded
