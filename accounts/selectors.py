"""Reads about units, people and roles. Each list is one or two queries, whatever its size."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from guardian.models import UserObjectPermission
from guardian.shortcuts import get_objects_for_user

from accounts.audit import acting_note
from accounts.delegation import running_delegator
from accounts.models import Event, Unit, User
from accounts.roles import (
    CODENAME_TO_UNIT_ROLE,
    MIN_SOURCE_REVIEWERS,
    CollegeRole,
    UnitRole,
)


@dataclass
class UnitStaffing:
    unit: Unit
    holders: dict[UnitRole, list[User]] = field(default_factory=dict)

    def of(self, role: UnitRole) -> list[User]:
        return self.holders.get(role, [])

    @property
    def rows(self) -> list[tuple[UnitRole, list[User]]]:
        return [(role, self.of(role)) for role in UnitRole]

    @property
    def collectors(self) -> list[User]:
        return self.of(UnitRole.COLLECTOR)

    @property
    def reviewers(self) -> list[User]:
        return self.of(UnitRole.SOURCE_REVIEWER)

    @property
    def heads(self) -> list[User]:
        return self.of(UnitRole.HEAD)

    @property
    def second_reviewers(self) -> list[User]:
        return self.of(UnitRole.SECOND_REVIEWER)

    @property
    def warnings(self) -> list[str]:
        found = []
        if not self.collectors:
            found.append(_("No data collector: assign one so that the unit can upload data."))
        elif len(self.collectors) > 1:
            found.append(
                _(
                    "%(count)s data collectors: the regulation asks for one stable collector per unit."
                )
                % {"count": len(self.collectors)}
            )
        if len(self.reviewers) < MIN_SOURCE_REVIEWERS:
            found.append(
                _(
                    "Only %(count)s source reviewer(s): the regulation asks for at least "
                    "%(min)s, assign more."
                )
                % {"count": len(self.reviewers), "min": MIN_SOURCE_REVIEWERS}
            )
        if not self.heads:
            found.append(_("No unit head: assign one so that the unit's data can be signed off."))
        found.extend(head_reviewer_warning(person, self.unit) for person in self.head_reviewers)
        return found

    @property
    def head_reviewers(self) -> list[User]:
        """People holding both the head and the source reviewer role of the unit."""
        reviewers = {p.pk for p in self.reviewers}
        return [p for p in self.heads if p.pk in reviewers]


def head_reviewer_warning(person: User, unit: Unit) -> str:
    return _(
        "%(person)s is both the head and a source reviewer of %(unit)s: the regulation wants "
        "two reviewers and the head to be three different people, so this person cannot both "
        "approve and sign off the same data. Assign other source reviewers, or take one of the "
        "two roles away."
    ) % {"person": person.name or person.username, "unit": unit.name}


def head_reviewer_units(unit_roles: list[tuple[Unit, UnitRole]]) -> list[Unit]:
    """Of a person's unit roles (``unit_roles_of_user``): the units where they hold both the
    head and the source reviewer role."""
    held: dict[int, set[UnitRole]] = defaultdict(set)
    units = {}
    for unit, role in unit_roles:
        held[unit.pk].add(role)
        units[unit.pk] = unit
    both = {UnitRole.HEAD, UnitRole.SOURCE_REVIEWER}
    return [units[pk] for pk, roles in held.items() if both <= roles]


def holds_head_and_reviewer(user: User, unit: Unit) -> bool:
    """Whether ``user`` holds both the head and the source reviewer role of ``unit`` themself
    (one query)."""
    codenames = {UnitRole.HEAD.codename, UnitRole.SOURCE_REVIEWER.codename}
    held = (
        _unit_permissions()
        .filter(user=user, object_pk=str(unit.pk), permission__codename__in=codenames)
        .values_list("permission__codename", flat=True)
    )
    return set(held) == codenames


def unit_role_holders(unit: Unit, role: UnitRole) -> list[User]:
    """The active people holding ``role`` on ``unit`` themself, not through a delegation (one
    query)."""
    grants = _unit_permissions().filter(object_pk=str(unit.pk), permission__codename=role.codename)
    return list(
        User.objects.filter(pk__in=grants.values("user_id"), is_active=True).order_by("username")
    )


def _unit_permissions() -> QuerySet[UserObjectPermission]:
    ct = ContentType.objects.get_for_model(Unit)
    return UserObjectPermission.objects.filter(
        content_type=ct, permission__codename__in=list(CODENAME_TO_UNIT_ROLE)
    )


def unit_staffing_list(units: QuerySet[Unit] | None = None) -> list[UnitStaffing]:
    """Every unit (or the given ones) with the people holding each unit role: two queries."""
    unit_list = list(units if units is not None else Unit.objects.all())
    by_id = {str(u.pk): UnitStaffing(unit=u) for u in unit_list}
    grants = (
        _unit_permissions()
        .filter(object_pk__in=list(by_id), user__is_active=True)
        .select_related("user", "permission")
        .order_by("user__username")
    )
    for grant in grants:
        role = CODENAME_TO_UNIT_ROLE[grant.permission.codename]
        by_id[grant.object_pk].holders.setdefault(role, []).append(grant.user)
    return [by_id[str(u.pk)] for u in unit_list]


def unit_staffing(unit: Unit) -> UnitStaffing:
    return unit_staffing_list(Unit.objects.filter(pk=unit.pk))[0]


def unit_roles_of_user(user: User) -> list[tuple[Unit, UnitRole]]:
    grants = list(
        _unit_permissions().filter(user=user).select_related("permission").order_by("object_pk")
    )
    units = Unit.objects.in_bulk([int(g.object_pk) for g in grants])
    found = [
        (units[int(g.object_pk)], CODENAME_TO_UNIT_ROLE[g.permission.codename])
        for g in grants
        if int(g.object_pk) in units
    ]
    order = list(UnitRole)
    return sorted(found, key=lambda pair: (pair[0].code, order.index(pair[1])))


def unit_roles_by_user(users: QuerySet[User]) -> dict[int, list[tuple[str, UnitRole]]]:
    """For a list of people: user id -> [(unit code, role)], in one query."""
    found: dict[int, list[tuple[str, UnitRole]]] = defaultdict(list)
    grants = _unit_permissions().filter(user__in=users).select_related("permission")
    codes = dict(Unit.objects.values_list("pk", "code"))
    for g in grants:
        code = codes.get(int(g.object_pk))
        if code is not None:
            found[g.user_id].append((code, CODENAME_TO_UNIT_ROLE[g.permission.codename]))
    return found


def role_held(*, user: User, role: UnitRole | CollegeRole, unit: Unit | None = None) -> bool:
    if isinstance(role, UnitRole):
        return UserObjectPermission.objects.filter(
            user=user, permission__codename=role.codename, object_pk=str(unit.pk if unit else "")
        ).exists()
    return user.groups.filter(name=role.group_name).exists()


def events_for_unit(unit: Unit, limit: int = 20) -> QuerySet[Event]:
    return Event.objects.filter(unit=unit).select_related("actor", "acting_for")[:limit]


def events_for_object(obj: Model, limit: int = 30) -> QuerySet[Event]:
    return Event.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).select_related("actor", "acting_for", "unit")[:limit]


def college_roles_of_user(user: User) -> list[CollegeRole]:
    names = set(user.groups.values_list("name", flat=True))
    return [role for role in CollegeRole if role.group_name in names]


def college_role_holders() -> dict[CollegeRole, list[User]]:
    found: dict[CollegeRole, list[User]] = {role: [] for role in CollegeRole}
    members = (
        User.groups.through.objects.filter(
            group__name__in=[r.group_name for r in CollegeRole], user__is_active=True
        )
        .select_related("user", "group")
        .order_by("user__username")
    )
    for m in members:
        found[CollegeRole(m.group.name)].append(m.user)
    return found


def has_college_role(user: User, role: CollegeRole) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser and role == CollegeRole.OFFICE:
        return True
    cache = getattr(user, "_college_roles_cache", None)
    if cache is None:
        cache = set(Group.objects.filter(user=user).values_list("name", flat=True))
        user._college_roles_cache = cache  # type: ignore[attr-defined]
    return role.group_name in cache


def is_office(user: User) -> bool:
    return has_college_role(user, CollegeRole.OFFICE)


def units_for_user_role(user: User, role: UnitRole) -> QuerySet[Unit]:
    return get_objects_for_user(user, role.perm, klass=Unit, accept_global_perms=False)


def people_list(*, query: str = "", unit_id: int | None = None) -> QuerySet[User]:
    people = User.objects.select_related("unit").order_by("unit__code", "username")
    if query:
        from django.db.models import Q

        people = people.filter(Q(username__icontains=query) | Q(name__icontains=query))
    if unit_id:
        people = people.filter(unit_id=unit_id)
    return people


def has_unit_role(user: User, role: UnitRole, unit: Unit) -> bool:
    """Whether ``user`` holds ``role`` on ``unit`` now, themself or through a running
    delegation (accounts/delegation.py): one query for a role held, two otherwise; bypasses
    guardian's per-user-object cache (a role granted or revoked meanwhile is seen at once).

    A grant is noted for the audit log (``accounts.audit.acting_note``): the delegator when the
    right came from a delegation, nobody when the person holds the role themself, so the events
    that follow record "acting for" only for a delegate."""
    if not user.is_authenticated or not user.is_active:
        return False
    held = (
        _unit_permissions()
        .filter(user=user, permission__codename=role.codename, object_pk=str(unit.pk))
        .exists()
    )
    delegator = None if held else running_delegator(user, role, unit)
    if held or delegator is not None:
        acting_note(user, delegator)
        return True
    return False
