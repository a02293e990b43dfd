"""The paper copy of a head's sign-off (regulation §三(二): units hand in a signed printout):
what the sign-off sheet shows, checking a paper copy's content hash against the signature, and
the collection group's record that a paper copy was checked and matches.

Recording a paper check changes no state, so it is not a transition of ``review.workflow``; it
is one atomic, audited write (Event ``signature.paper_checked`` on the contribution).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.audit import event_record
from accounts.models import Event, User
from accounts.roles import CollegeRole, UnitRole
from accounts.selectors import has_college_role, unit_staffing
from collection.models import Contribution, ContributionState, Version
from review.models import Review, Signature

PAPER_CHECKED = "signature.paper_checked"
MIN_TYPED = 16  # characters of the hash a person must type from the paper


@dataclass
class SignoffSheet:
    """One sign-off sheet: of a signature, or a draft (``signature`` None) of the version
    waiting for the head."""

    contribution: Contribution
    version: Version
    signature: Signature | None
    approvals: list[Review]
    heads: list[User] = field(default_factory=list)  # for a draft: who is to sign

    @property
    def is_draft(self) -> bool:
        return self.signature is None

    @property
    def content_hash(self) -> str:
        return self.signature.content_hash if self.signature else self.version.content_hash

    @property
    def hash_groups(self) -> list[str]:
        return hash_groups(self.content_hash)

    @property
    def is_current(self) -> bool:
        return self.signature is None or signature_is_current(self.signature, self.contribution)


def hash_groups(content_hash: str, size: int = 4) -> list[str]:
    """The hash in groups of four characters, easier to compare by eye on paper."""
    return [content_hash[i : i + size] for i in range(0, len(content_hash), size)]


def normalise_hash(text: str) -> str:
    """What a person typed or scanned, as lower-case hex without spaces or dashes."""
    return re.sub(r"[^0-9a-f]", "", (text or "").lower())


def hash_matches(signature: Signature, typed: str) -> bool:
    """The whole hash, or at least its first 16 characters, as printed on the paper."""
    given = normalise_hash(typed)
    return len(given) >= MIN_TYPED and signature.content_hash.startswith(given)


def signature_is_current(signature: Signature, contribution: Contribution) -> bool:
    """Whether the signed version is still what the unit delivers: the contribution is
    delivered with that version, and no later signature exists."""
    if contribution.state != ContributionState.DELIVERED:
        return False
    if contribution.current_version_id != signature.version_id:
        return False
    latest = contribution.signatures.order_by("-signed_at", "-id").values_list("pk", flat=True)  # type: ignore[attr-defined]
    return latest.first() == signature.pk


def approvals_for(contribution: Contribution, signature: Signature | None) -> list[Review]:
    """The source reviewers' approvals the sheet names: for a signature, those of its version
    in the last submission before signing; for a draft, those of the current submission."""
    reviews = Review.objects.filter(
        contribution=contribution,
        stage=ContributionState.SOURCE_REVIEW,
        decision=Review.Decision.APPROVE,
    ).select_related("reviewer")
    if signature is not None:
        reviews = reviews.filter(
            version_id=signature.version_id, created_at__lte=signature.signed_at
        )
        submission = reviews.order_by("-submission").values_list("submission", flat=True).first()
        reviews = reviews.filter(submission=submission or 0)
    else:
        reviews = reviews.filter(
            version=contribution.current_version, submission=contribution.submission
        )
    first: dict[int, Review] = {}
    for review in reviews.order_by("created_at", "id"):
        first.setdefault(review.reviewer_id, review)
    return list(first.values())


def signoff_sheet(
    contribution: Contribution, signature_id: int | None = None
) -> SignoffSheet | None:
    """The sheet to print: a given signature of the contribution, else a draft while it waits
    for the head, else its latest signature; None when there is nothing to sign or signed."""
    signatures = contribution.signatures.select_related("head", "version__created_by")  # type: ignore[attr-defined]
    if signature_id is not None:
        signature = signatures.filter(pk=signature_id).first()
        if signature is None:
            return None
        return SignoffSheet(
            contribution, signature.version, signature, approvals_for(contribution, signature)
        )
    if contribution.state == ContributionState.HEAD_SIGNOFF and contribution.current_version:
        return SignoffSheet(
            contribution,
            contribution.current_version,
            None,
            approvals_for(contribution, None),
            heads=unit_staffing(contribution.unit).of(UnitRole.HEAD),
        )
    signature = signatures.first()  # newest first
    if signature is None:
        return None
    return SignoffSheet(
        contribution, signature.version, signature, approvals_for(contribution, signature)
    )


def paper_checks(signature: Signature) -> list[Event]:
    """The collection group's records that a paper copy of ``signature`` was checked."""
    return list(
        Event.objects.filter(
            action=PAPER_CHECKED,
            object_type=Contribution._meta.label_lower,
            object_id=str(signature.contribution_id),
            data__signature=signature.pk,
        ).select_related("actor")
    )


def require_collection_group(actor: User) -> None:
    if not has_college_role(actor, CollegeRole.COLLECTION_GROUP):
        raise PermissionDenied(
            _("Only the collection group may record that a paper copy has been checked.")
        )


@transaction.atomic
def signature_paper_check(*, actor: User, signature: Signature, typed_hash: str) -> Event:
    """Record that the collection group checked a paper copy of ``signature`` and that it
    matches: refused when the typed hash does not match or the signature is no longer the
    delivered version. The contribution row is locked so the check sees a settled state."""
    require_collection_group(actor)
    contribution = (
        Contribution.objects.select_for_update(of=("self",))
        .select_related("unit")
        .get(pk=signature.contribution_id)
    )
    if not hash_matches(signature, typed_hash):
        raise ValidationError(
            _(
                "The content hash does not match signature %(number)s: compare it with the "
                "paper character by character (at least the first %(min)s), and ask the unit "
                "for a new printout if they differ."
            )
            % {"number": signature.pk, "min": MIN_TYPED}
        )
    if not signature_is_current(signature, contribution):
        raise ValidationError(
            _(
                "Signature %(number)s is no longer the delivered version: ask the unit for the "
                "sign-off sheet of the version it delivers now."
            )
            % {"number": signature.pk}
        )
    return event_record(
        actor=actor,
        action=PAPER_CHECKED,
        obj=contribution,
        unit=contribution.unit,
        content_hash=signature.content_hash,
        data={"signature": signature.pk, "version": signature.version.number},
    )
