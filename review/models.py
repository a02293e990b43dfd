"""Reviews (审核意见) and signatures (签字): append-only records of who approved what."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyQuerySet(models.QuerySet[models.Model]):
    def update(self, **kwargs: object) -> int:
        raise ValidationError(_("Reviews and signatures are append-only and cannot be changed."))


class AppendOnly(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise ValidationError(
                _("Reviews and signatures are append-only and cannot be changed.")
            )
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class Review(AppendOnly):
    """An approval or a return, given in one state of a contribution or a table report."""

    class Decision(models.TextChoices):
        APPROVE = "approve", _("Approve")
        RETURN = "return", _("Return")

    contribution = models.ForeignKey(
        "collection.Contribution",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reviews",
    )
    table_report = models.ForeignKey(
        "collection.TableReport",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reviews",
    )
    version = models.ForeignKey(
        "collection.Version", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submission = models.PositiveIntegerField(default=0)
    stage = models.CharField(_("stage"), max_length=20)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    reason = models.TextField(_("reason"), blank=True)
    remarks = models.JSONField(_("cell remarks"), default=list, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(contribution__isnull=False, table_report__isnull=True)
                    | models.Q(contribution__isnull=True, table_report__isnull=False)
                ),
                name="review_exactly_one_target",
            )
        ]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")

    def __str__(self) -> str:
        return f"{self.stage} {self.decision} {self.reviewer}"


class Signature(AppendOnly):
    """A unit head's sign-off, bound to the content hash of the version the reviewers approved."""

    contribution = models.ForeignKey(
        "collection.Contribution", on_delete=models.CASCADE, related_name="signatures"
    )
    version = models.ForeignKey("collection.Version", on_delete=models.PROTECT, related_name="+")
    head = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    content_hash = models.CharField(_("content hash"), max_length=64)
    signed_at = models.DateTimeField(_("signed"), auto_now_add=True)

    class Meta:
        ordering = ["-signed_at", "-id"]
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")

    def __str__(self) -> str:
        return f"{self.head} {self.content_hash[:12]}"


class ExplanationReview(AppendOnly):
    """A reviewer accepts or rejects a collector's explanation of a 需说明 finding (e.g. a change
    from last year). The latest decision per reviewer counts; a rejection needs a reason."""

    class Decision(models.TextChoices):
        ACCEPT = "accept", _("Accept")
        REJECT = "reject", _("Reject")

    explanation = models.ForeignKey(
        "collection.Explanation", on_delete=models.CASCADE, related_name="reviews"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    stage = models.CharField(_("stage"), max_length=20)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("explanation review")
        verbose_name_plural = _("explanation reviews")

    def __str__(self) -> str:
        return f"{self.explanation} {self.decision}"
