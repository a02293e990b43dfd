from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.roles import CollegeRole, UnitRole


@dataclass(frozen=True)
class Navigation:
    """What the navigation shows a person: one flag per role they hold anywhere."""

    unit_roles: frozenset[str]
    college_roles: frozenset[str]

    def __getattr__(self, name: str) -> bool:
        return name in self.unit_roles or name in self.college_roles

    @property
    def any_unit_role(self) -> bool:
        return bool(self.unit_roles)


def navigation_for(user: object) -> Navigation:
    from guardian.models import UserObjectPermission

    from accounts.roles import CODENAME_TO_UNIT_ROLE

    if not getattr(user, "is_authenticated", False):
        return Navigation(frozenset(), frozenset())
    codenames = set(
        UserObjectPermission.objects.filter(
            user=user, permission__codename__in=list(CODENAME_TO_UNIT_ROLE)
        ).values_list("permission__codename", flat=True)
    )
    unit_roles = frozenset(CODENAME_TO_UNIT_ROLE[c].value for c in codenames)
    groups = set(user.groups.values_list("name", flat=True))  # type: ignore[attr-defined]
    college = {r.value for r in CollegeRole if r.group_name in groups}
    if getattr(user, "is_superuser", False):
        college.add(CollegeRole.OFFICE.value)
    return Navigation(unit_roles, frozenset(college))


def navigation(request: HttpRequest) -> dict[str, object]:
    return {
        "nav": SimpleLazyObject(lambda: navigation_for(request.user)),
        "UnitRole": UnitRole,
        "CollegeRole": CollegeRole,
    }


def inbox(request: HttpRequest) -> dict[str, object]:
    """The unread count for the navigation badge: one query, only when a page shows it."""
    from accounts.models import Notification

    def unread() -> int:
        user = getattr(request, "user", None)
        if not getattr(user, "is_authenticated", False):
            return 0
        return Notification.objects.filter(recipient=user, read_at__isnull=True).count()

    return {"inbox_unread": SimpleLazyObject(unread)}
