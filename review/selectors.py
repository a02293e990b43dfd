"""Reads of the workflow, always scoped to the person asking."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, When
from guardian.models import UserObjectPermission

from accounts.models import Unit, User
from accounts.roles import CODENAME_TO_UNIT_ROLE, UnitRole
from collection.models import Contribution, ContributionState, CycleStatus
from review.models import Review

S = ContributionState


def unit_ids_by_role(user: User) -> dict[UnitRole, set[int]]:
    """The units ``user`` holds each unit role in, from one query on the object permissions."""
    found: dict[UnitRole, set[int]] = {role: set() for role in UnitRole}
    grants = UserObjectPermission.objects.filter(
        user=user,
        content_type=ContentType.objects.get_for_model(Unit),
        permission__codename__in=list(CODENAME_TO_UNIT_ROLE),
    ).values_list("permission__codename", "object_pk")
    for codename, object_pk in grants:
        found[CODENAME_TO_UNIT_ROLE[codename]].add(int(object_pk))
    return found


def work_items_for_user(user: User) -> QuerySet[Contribution]:
    """The contributions waiting for ``user``, most urgent deadline first (two queries): drafting
    ones of units they collect for, source_review ones they may still approve (not uploaded
    by them, not yet approved by them in this submission), head_signoff ones they sign.

    Each item has ``deadline``: the responsible unit's date for its own contribution, the
    assisting units' date otherwise."""
    approved = Review.objects.filter(
        contribution=OuterRef("pk"),
        reviewer=user,
        decision=Review.Decision.APPROVE,
        stage=S.SOURCE_REVIEW,
        version=OuterRef("current_version"),
        submission=OuterRef("submission"),
    )
    units = unit_ids_by_role(user)
    waiting = (
        Q(state=S.DRAFTING, unit_id__in=units[UnitRole.COLLECTOR])
        | (
            Q(state=S.SOURCE_REVIEW, unit_id__in=units[UnitRole.SOURCE_REVIEWER])
            & ~Q(current_version__created_by=user)
            & ~Exists(approved)
        )
        | Q(state=S.HEAD_SIGNOFF, unit_id__in=units[UnitRole.HEAD])
    )
    deadline = Case(
        When(
            unit_id=F("assignment__responsible_unit_id"),
            then=F("assignment__responsible_deadline"),
        ),
        default=F("assignment__assisting_deadline"),
    )
    return (
        Contribution.objects.filter(waiting, assignment__cycle__published_at__isnull=False)
        .exclude(assignment__cycle__status=CycleStatus.DONE)
        .annotate(deadline=deadline)
        .select_related("assignment__table", "assignment__cycle", "unit")
        .order_by(F("deadline").asc(nulls_last=True), "assignment__position", "unit__code")
    )
