"""The printable sign-off sheet (签字单) of a contribution, and the verify page its QR code points
at, where a paper copy's content hash is compared with the electronic signature and the
collection group records that a paper copy matches.

Both load the contribution through ``get_contribution_for_user``: 404 for whoever may not see
it, whatever the signature number or hash in the address."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from accounts.roles import CollegeRole
from accounts.selectors import has_college_role
from collection.models import Contribution
from review import signoff
from review.access import get_contribution_for_user
from review.models import Signature


@require_GET
def signoff_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """The A4 sheet to print and sign: of the latest signature (or ``?signature=<id>``), or a
    draft while the contribution waits for the head."""
    contribution = get_contribution_for_user(request.user, pk)  # type: ignore[arg-type]
    wanted = request.GET.get("signature", "")
    sheet = signoff.signoff_sheet(contribution, int(wanted) if wanted.isdigit() else None)
    if sheet is None:
        if wanted:
            raise Http404
        messages.info(
            request,
            _(
                "There is no sign-off sheet yet: a draft can be printed once two reviewers have "
                "approved the data, and the sheet once the head has signed it."
            ),
        )
        return redirect("review:contribution_detail", pk=pk)
    verify_url = ""
    if sheet.signature is not None:
        verify_url = request.build_absolute_uri(
            reverse("review:signoff_verify", args=[sheet.signature.pk, sheet.content_hash])
        )
    return render(
        request,
        "review/signoff_sheet.html",
        {
            "sheet": sheet,
            "contribution": contribution,
            "assignment": contribution.assignment,
            "verify_url": verify_url,
            "qr_svg": _qr_svg(verify_url) if verify_url else "",
        },
    )


def _qr_svg(url: str) -> str:
    # segno draws the data as path geometry: nothing of the URL reaches the markup as text.
    svg = segno.make(url, error="m").svg_inline(
        scale=3, svgclass="signoff-qr", lineclass=None, omitsize=True
    )
    return mark_safe(svg)


@require_GET
def signoff_verify_start(request: HttpRequest) -> HttpResponse:
    """Type the signature number and the content hash from a paper copy."""
    number = request.GET.get("signature", "").strip()
    typed = signoff.normalise_hash(request.GET.get("hash", ""))
    if number.isdigit() and typed:
        return redirect("review:signoff_verify", pk=int(number), content_hash=typed)
    return render(
        request,
        "review/signoff_verify.html",
        {"start": True, "number": number, "typed": request.GET.get("hash", "")},
        status=422 if request.GET else 200,
    )


@require_GET
def signoff_verify_form(request: HttpRequest, pk: int) -> HttpResponse:
    """The typed-hash form of one signature (``?hash=``): on to the verify address."""
    signature, contribution = _signature_for_user(request.user, pk)  # type: ignore[arg-type]
    typed = signoff.normalise_hash(request.GET.get("hash", ""))
    if typed:
        return redirect("review:signoff_verify", pk=signature.pk, content_hash=typed)
    return _verify_page(request, signature, contribution, "")


@require_GET
def signoff_verify(request: HttpRequest, pk: int, content_hash: str) -> HttpResponse:
    """The QR code's target: whether ``content_hash`` is the signature's, and whether that
    signed version is still the one delivered."""
    signature, contribution = _signature_for_user(request.user, pk)  # type: ignore[arg-type]
    return _verify_page(request, signature, contribution, signoff.normalise_hash(content_hash))


@require_POST
def signoff_paper_check(request: HttpRequest, pk: int, content_hash: str) -> HttpResponse:
    """The collection group records that the paper copy was checked and matches."""
    signature, _contribution = _signature_for_user(request.user, pk)  # type: ignore[arg-type]
    try:
        signoff.signature_paper_check(
            actor=request.user,  # type: ignore[arg-type]
            signature=signature,
            typed_hash=content_hash,
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("Recorded: the paper copy of signature %(number)s was checked and matches.")
            % {"number": signature.pk},
        )
    return redirect("review:signoff_verify", pk=signature.pk, content_hash=content_hash)


def _signature_for_user(user: User, pk: int) -> tuple[Signature, Contribution]:
    signature = (
        Signature.objects.select_related("head", "version__created_by").filter(pk=pk).first()
    )
    if signature is None:
        raise Http404
    return signature, get_contribution_for_user(user, signature.contribution_id)


def _verify_page(
    request: HttpRequest, signature: Signature, contribution: Contribution, typed: str
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    matches = signoff.hash_matches(signature, typed)
    current = signoff.signature_is_current(signature, contribution)
    return render(
        request,
        "review/signoff_verify.html",
        {
            "signature": signature,
            "contribution": contribution,
            "assignment": contribution.assignment,
            "version": signature.version,
            "approvals": signoff.approvals_for(contribution, signature),
            "hash_groups": signoff.hash_groups(signature.content_hash),
            "typed": typed,
            "typed_groups": signoff.hash_groups(typed),
            "too_short": bool(typed) and len(typed) < signoff.MIN_TYPED,
            "matches": matches,
            "is_current": current,
            "paper_checks": signoff.paper_checks(signature),
            "can_record": matches
            and current
            and has_college_role(user, CollegeRole.COLLECTION_GROUP),
            "min_typed": signoff.MIN_TYPED,
        },
    )
