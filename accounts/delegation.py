"""Delegation (委托): a head or reviewer hands their role in their unit to a colleague of the same
unit for a date range. While it runs the delegate holds the role there
(``accounts.selectors.has_unit_role``), and every event they cause records
``Event.acting_for`` = the delegator (``accounts.audit``).

A delegation runs from ``starts_on`` to ``ends_on`` (both included, the college's local date)
unless it was ended early, and only while the delegator still holds the role themself: a role
the office takes away cannot live on through a delegation.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, CharField, Exists, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.models import UserObjectPermission

from accounts.audit import acting_reset, event_record
from accounts.models import Delegation, Unit, User
from accounts.notifications import Message, notify, outbox_enqueue, outbox_ids
from accounts.roles import UNIT_ROLE_PERMS, UnitRole

# The roles that may be handed on. The collector is not: the regulation wants one stable
# collector per unit (四(三)), and the office changes collectors.
DELEGABLE = (UnitRole.SOURCE_REVIEWER, UnitRole.HEAD, UnitRole.SECOND_REVIEWER)


def today() -> datetime.date:
    return timezone.localdate()


def _delegator_still_holds() -> Exists:
    """The delegator holds the delegation's role on its unit directly (a correlated subquery on
    the annotations ``codename`` and ``unit_pk_text`` of ``running``)."""
    return Exists(
        UserObjectPermission.objects.filter(
            user_id=OuterRef("delegator_id"),
            content_type=ContentType.objects.get_for_model(Unit),
            object_pk=OuterRef("unit_pk_text"),
            permission__codename=OuterRef("codename"),
        )
    )


def running(on: datetime.date | None = None) -> QuerySet[Delegation]:
    """Delegations in force on ``on`` (default today): started, not ended, not ended early,
    the delegator active and still holding the role, the delegate active."""
    on = on or today()
    codename = Case(
        *[When(role=role.value, then=Value(UNIT_ROLE_PERMS[role][0])) for role in DELEGABLE],
        default=Value(""),
        output_field=CharField(),
    )
    return (
        Delegation.objects.filter(
            starts_on__lte=on,
            ends_on__gte=on,
            revoked_at__isnull=True,
            delegator__is_active=True,
            delegate__is_active=True,
        )
        .annotate(codename=codename, unit_pk_text=Cast("unit_id", CharField()))
        .filter(_delegator_still_holds())
    )


def running_delegator(user: User, role: UnitRole, unit: Unit) -> User | None:
    """The person ``user`` acts for when they hold ``role`` on ``unit`` through a running
    delegation (one query), else None."""
    if role not in DELEGABLE:
        return None
    found = (
        running()
        .filter(delegate=user, role=role.value, unit=unit)
        .select_related("delegator")
        .first()
    )
    return found.delegator if found else None


def held_by(user: User) -> list[Delegation]:
    """The delegations running today in which ``user`` is the delegate (one query)."""
    return list(running().filter(delegate=user).select_related("delegator", "unit"))


def held_in_units(user: User, unit_ids: Iterable[int]) -> bool:
    """Whether ``user`` holds a running delegation in one of these units (one query)."""
    return running().filter(delegate=user, unit_id__in=list(unit_ids)).exists()


def holds_directly(user: User, role: UnitRole, unit: Unit) -> bool:
    return UserObjectPermission.objects.filter(
        user=user,
        content_type=ContentType.objects.get_for_model(Unit),
        permission__codename=role.codename,
        object_pk=str(unit.pk),
    ).exists()


# Pages' reads ----------------------------------------------------------------------------------


def delegations_of(user: User) -> QuerySet[Delegation]:
    """Everything ``user`` gave or holds, newest first."""
    return (
        Delegation.objects.filter(Q(delegator=user) | Q(delegate=user))
        .select_related("delegator", "delegate", "unit", "created_by", "revoked_by")
        .order_by("-starts_on", "-id")
    )


def current_and_coming() -> QuerySet[Delegation]:
    """For the office: every delegation not ended and not ended early, soonest first."""
    return (
        Delegation.objects.filter(ends_on__gte=today(), revoked_at__isnull=True)
        .select_related("delegator", "delegate", "unit", "created_by")
        .order_by("starts_on", "unit__code", "id")
    )


def is_running(d: Delegation, on: datetime.date | None = None) -> bool:
    on = on or today()
    return d.revoked_at is None and d.starts_on <= on <= d.ends_on


def delegable_pairs(user: User) -> list[tuple[Unit, UnitRole]]:
    """The (unit, role) pairs ``user`` holds themself and may hand on."""
    from accounts.selectors import unit_roles_of_user

    return [(unit, role) for unit, role in unit_roles_of_user(user) if role in DELEGABLE]


# Writes ----------------------------------------------------------------------------------------


def _is_office(user: User) -> bool:
    from accounts.selectors import is_office

    return is_office(user)


@transaction.atomic
def delegation_create(
    *,
    actor: User | None,
    delegator: User,
    delegate: User,
    unit: Unit,
    role: UnitRole | str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    reason: str = "",
) -> Delegation:
    """Hand ``delegator``'s ``role`` in ``unit`` to ``delegate`` from ``starts_on`` to
    ``ends_on``. By the delegator themself or the office (``actor=None``: the system).

    Refused: a role that cannot be handed on, a delegator who does not hold it, a delegate who is
    inactive, of another unit or already holds the role, dates out of order or past, and a date
    range overlapping another delegation of the same role in the unit by the same delegator or to
    the same delegate.

    The checks read what belongs to both people (their roles, active, unit and delegations), so
    both User rows are locked, in id order so that two requests can never deadlock: requests
    sharing a delegator or a delegate run one after the other, and role and person changes
    (which lock the person's row too) cannot slip in between the checks and the write. Chains
    cannot arise: the delegator must hold the role themself and the delegate must not.
    """
    acting_reset()
    role = UnitRole(role)
    if actor is not None and actor.pk != delegator.pk and not _is_office(actor):
        raise PermissionDenied(
            _("Only the person handing on their role, or the office, may set up a delegation.")
        )
    locked = {
        person.pk: person
        for person in User.objects.select_for_update()
        .filter(pk__in=[delegator.pk, delegate.pk])
        .order_by("pk")
    }
    delegator, delegate = locked[delegator.pk], locked[delegate.pk]
    _check(delegator, delegate, unit, role, starts_on, ends_on)
    delegation = Delegation.objects.create(
        delegator=delegator,
        delegate=delegate,
        unit=unit,
        role=role.value,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=(reason or "").strip(),
        created_by=actor or delegator,
    )
    event_record(
        actor=actor,
        action="delegation.create",
        obj=delegation,
        unit=unit,
        reason=delegation.reason,
        data=_data(delegation),
    )
    _tell_delegate(delegation)
    return delegation


def _check(
    delegator: User,
    delegate: User,
    unit: Unit,
    role: UnitRole,
    starts_on: datetime.date,
    ends_on: datetime.date,
) -> None:
    names = {"role": role.label, "unit": unit.name}
    if role not in DELEGABLE:
        raise ValidationError(
            _("The role “%(role)s” cannot be handed on: ask the office to change it.") % names
        )
    if not delegator.is_active or not holds_directly(delegator, role, unit):
        raise ValidationError(
            _("%(person)s is not %(role)s of %(unit)s, so cannot hand that role on.")
            % {**names, "person": delegator.name or delegator.username}
        )
    if delegate.pk == delegator.pk:
        raise ValidationError(_("Choose a colleague: you cannot hand a role to yourself."))
    if not delegate.is_active or delegate.unit_id != unit.pk:
        raise ValidationError(
            _(
                "%(person)s is not an active member of %(unit)s: a role is handed only to a "
                "colleague of the same unit."
            )
            % {**names, "person": delegate.name or delegate.username}
        )
    if holds_directly(delegate, role, unit):
        raise ValidationError(
            _("%(person)s is already %(role)s of %(unit)s: choose someone who is not.")
            % {**names, "person": delegate.name or delegate.username}
        )
    if ends_on < starts_on:
        raise ValidationError(_("The last day comes before the first day: correct the dates."))
    if ends_on < today():
        raise ValidationError(_("The last day is in the past: choose dates from today on."))
    overlapping = Delegation.objects.filter(
        Q(delegator=delegator) | Q(delegate=delegate),
        unit=unit,
        role=role.value,
        revoked_at__isnull=True,
        starts_on__lte=ends_on,
        ends_on__gte=starts_on,
    ).first()
    if overlapping is not None:
        raise ValidationError(
            _(
                "These dates overlap the delegation of %(role)s from %(start)s to %(end)s "
                "(%(who)s): end that one first or choose other dates."
            )
            % {
                **names,
                "start": overlapping.starts_on,
                "end": overlapping.ends_on,
                "who": str(overlapping),
            }
        )


@transaction.atomic
def delegation_revoke(*, actor: User | None, delegation: Delegation) -> Delegation:
    """End a delegation early (or cancel one not yet started): by its delegator, its delegate
    or the office. Ending one already over changes nothing."""
    acting_reset()
    d = Delegation.objects.select_for_update().select_related("unit").get(pk=delegation.pk)
    party = actor is None or actor.pk in (d.delegator_id, d.delegate_id)
    if not party and not _is_office(actor):  # type: ignore[arg-type]
        raise PermissionDenied(_("Only the two people of a delegation, or the office, may end it."))
    if d.revoked_at is not None or d.ends_on < today():
        raise ValidationError(_("This delegation has already ended."))
    d.revoked_at, d.revoked_by = timezone.now(), actor
    d.save(update_fields=["revoked_at", "revoked_by"])
    event_record(actor=actor, action="delegation.revoke", obj=d, unit=d.unit, data=_data(d))
    return d


def _data(d: Delegation) -> dict[str, object]:
    return {
        "delegator": d.delegator.username,
        "delegate": d.delegate.username,
        "role": d.role,
        "starts_on": d.starts_on.isoformat(),
        "ends_on": d.ends_on.isoformat(),
    }


def _tell_delegate(d: Delegation) -> None:
    from django.urls import reverse

    role = UnitRole(d.role).label
    created = notify(
        [d.delegate],
        Message(
            kind="other",
            subject=_("%(person)s hands you the role %(role)s of %(unit)s")
            % {
                "person": d.delegator.name or d.delegator.username,
                "role": role,
                "unit": d.unit.name,
            },
            body=_("From %(start)s to %(end)s you act for %(person)s; your actions record it.")
            % {
                "start": d.starts_on,
                "end": d.ends_on,
                "person": d.delegator.name or d.delegator.username,
            },
            link=reverse("accounts:delegation_mine"),
        ),
        unit=d.unit,
        dedupe_key=f"delegation:{d.pk}",
    )
    outbox_enqueue(outbox_ids(created))
