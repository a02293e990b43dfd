"""Every write to units, people and roles: audited, atomic, with an explicit actor.

``actor=None`` means the system itself (the seed command, a migration); every other actor must
belong to the office (领导小组办公室) or be a superuser.
"""

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from accounts.audit import event_record
from accounts.models import Unit, User
from accounts.roles import CollegeRole, UnitRole
from accounts.selectors import is_office, role_held


def _require_office(actor: User | None) -> None:
    if actor is not None and not is_office(actor):
        raise PermissionDenied(
            _("Only the office of the leading group may manage units, people and roles.")
        )


def _check_role_target(role: UnitRole | CollegeRole, unit: Unit | None) -> None:
    if isinstance(role, UnitRole) and unit is None:
        raise ValidationError(_("Choose the unit for a unit role."))
    if isinstance(role, CollegeRole) and unit is not None:
        raise ValidationError(_("A college-wide role is not given on a unit."))


@transaction.atomic
def role_assign(
    *, actor: User | None, user: User, role: UnitRole | CollegeRole, unit: Unit | None = None
) -> bool:
    """Give ``user`` the role (on ``unit`` for a unit role). Returns False when already held."""
    _require_office(actor)
    _check_role_target(role, unit)
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        raise ValidationError(
            _("%(person)s is inactive and cannot hold a role; activate the person first.")
            % {"person": user}
        )
    if unit is not None:
        unit = Unit.objects.get(pk=unit.pk)
    if unit is not None and not unit.active:
        raise ValidationError(
            _("%(unit)s is inactive; activate the unit before giving roles in it.") % {"unit": unit}
        )
    if role_held(user=user, role=role, unit=unit):
        return False
    if isinstance(role, UnitRole):
        assign_perm(role.perm, user, unit)
    else:
        group, _created = Group.objects.get_or_create(name=role.group_name)
        user.groups.add(group)
    event_record(
        actor=actor,
        action="role.assign",
        obj=user,
        unit=unit,
        data={
            "role": role.value,
            "role_label": str(role.label),
            "unit": unit.code if unit else None,
        },
    )
    return True


@transaction.atomic
def role_revoke(
    *, actor: User | None, user: User, role: UnitRole | CollegeRole, unit: Unit | None = None
) -> bool:
    """Take the role away. Returns False when the person did not hold it."""
    _require_office(actor)
    _check_role_target(role, unit)
    user = User.objects.select_for_update().get(pk=user.pk)
    if not role_held(user=user, role=role, unit=unit):
        return False
    if isinstance(role, UnitRole):
        remove_perm(role.perm, user, unit)
    else:
        user.groups.remove(Group.objects.get(name=role.group_name))
    event_record(
        actor=actor,
        action="role.revoke",
        obj=user,
        unit=unit,
        data={
            "role": role.value,
            "role_label": str(role.label),
            "unit": unit.code if unit else None,
        },
    )
    return True


def _revoke_all_roles(*, actor: User | None, user: User) -> None:
    from accounts.selectors import college_roles_of_user, unit_roles_of_user

    for unit, unit_role in unit_roles_of_user(user):
        role_revoke(actor=actor, user=user, role=unit_role, unit=unit)
    for college_role in college_roles_of_user(user):
        role_revoke(actor=actor, user=user, role=college_role)


def _changes(obj: object, fields: dict[str, object]) -> dict[str, list[str]]:
    changed = {}
    for name, value in fields.items():
        old = getattr(obj, name)
        if old != value:
            changed[name] = [str(old), str(value)]
            setattr(obj, name, value)
    return changed


@transaction.atomic
def unit_create(
    *, actor: User | None, code: str, name: str, kind: str, active: bool = True
) -> Unit:
    _require_office(actor)
    unit = Unit(code=code.strip(), name=name.strip(), kind=kind, active=active)
    unit.full_clean()
    unit.save()
    event_record(
        actor=actor,
        action="unit.create",
        obj=unit,
        unit=unit,
        data={"code": unit.code, "name": unit.name, "kind": unit.kind},
    )
    return unit


@transaction.atomic
def unit_update(
    *, actor: User | None, unit: Unit, code: str, name: str, kind: str, active: bool
) -> Unit:
    _require_office(actor)
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    changed = _changes(
        unit, {"code": code.strip(), "name": name.strip(), "kind": kind, "active": active}
    )
    if not changed:
        return unit
    unit.full_clean()
    unit.save()
    event_record(actor=actor, action="unit.update", obj=unit, unit=unit, data={"changed": changed})
    if "active" in changed and not active:
        _revoke_unit_roles(actor=actor, unit=unit)
    return unit


def _revoke_unit_roles(*, actor: User | None, unit: Unit) -> None:
    """An inactive unit holds no roles (the same rule as for people)."""
    from accounts.selectors import unit_staffing

    for role, people in unit_staffing(unit).rows:
        for person in people:
            role_revoke(actor=actor, user=person, role=role, unit=unit)


@transaction.atomic
def person_create(
    *,
    actor: User | None,
    username: str,
    name: str,
    unit: Unit | None,
    password: str | None,
    password_hash: str | None = None,
    phone: str = "",
    email: str = "",
    must_change_password: bool = True,
    is_active: bool = True,
) -> User:
    """Create a person who signs in with ``username`` (工号); imported people change the
    password at their first sign-in. ``password=None`` leaves the account without a usable
    password until one is set."""
    _require_office(actor)
    person = User(
        username=username.strip(),
        name=name.strip(),
        unit=unit,
        phone=phone.strip(),
        email=email.strip(),
        must_change_password=must_change_password,
        is_active=is_active,
    )
    if password_hash is not None:
        person.password = (
            password_hash  # already hashed, e.g. kept between import preview and confirm
        )
    elif password is None:
        person.set_unusable_password()
    else:
        person.set_password(password)
    person.full_clean()
    person.save()
    event_record(
        actor=actor,
        action="person.create",
        obj=person,
        unit=unit,
        data={"username": person.username, "name": person.name},
    )
    return person


@transaction.atomic
def person_update(
    *,
    actor: User | None,
    person: User,
    name: str,
    unit: Unit | None,
    phone: str = "",
    email: str = "",
    is_active: bool = True,
) -> User:
    """Change a person's details. Deactivating a person takes away every role they hold."""
    _require_office(actor)
    person = User.objects.select_for_update().get(pk=person.pk)
    changed = _changes(
        person,
        {
            "name": name.strip(),
            "unit": unit,
            "phone": phone.strip(),
            "email": email.strip(),
            "is_active": is_active,
        },
    )
    if not changed:
        return person
    person.full_clean()
    person.save()
    event_record(
        actor=actor, action="person.update", obj=person, unit=person.unit, data={"changed": changed}
    )
    if "is_active" in changed and not is_active:
        _revoke_all_roles(actor=actor, user=person)
    return person


@transaction.atomic
def person_set_password(
    *, actor: User | None, person: User, password: str, must_change: bool
) -> None:
    """Set a new password: by the office (a reset, which forces a change) or by the person."""
    if actor is not None and actor.pk != person.pk:
        _require_office(actor)
    person = User.objects.select_for_update().get(pk=person.pk)
    person.set_password(password)
    person.must_change_password = must_change
    person.save(update_fields=["password", "must_change_password"])
    event_record(
        actor=actor,
        action="person.password",
        obj=person,
        unit=person.unit,
        data={"reset_by_office": actor is not None and actor.pk != person.pk},
    )


@transaction.atomic
def person_unlock(*, actor: User | None, person: User) -> int:
    """Lift a sign-in lock (django-axes) before it expires. Returns the failures cleared."""
    from axes.utils import reset

    _require_office(actor)
    cleared = reset(username=person.username)
    event_record(
        actor=actor,
        action="person.unlock",
        obj=person,
        unit=person.unit,
        data={"failures_cleared": cleared},
    )
    return cleared


@transaction.atomic
def sheet_import_record(
    *, actor: User | None, kind: str, sha256: str, filename: str, totals: dict[str, int]
) -> None:
    """Audit one confirmed import of the units or people sheet (the rows are audited too)."""
    _require_office(actor)
    if actor is not None:
        event_record(
            actor=actor,
            action=f"import.{kind}",
            obj=actor,
            content_hash=sha256,
            data={"file": filename, "totals": totals},
        )
