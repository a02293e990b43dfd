"""Access helpers for the workflow's objects: 404 for whoever may not see the object at all
(the same answer as a missing id), so that existence does not leak to other units."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.http import Http404
from guardian.models import UserObjectPermission

from accounts import delegation
from accounts.models import Unit, User
from accounts.roles import CODENAME_TO_UNIT_ROLE, CollegeRole
from accounts.selectors import has_college_role
from collection.models import Contribution, TableReport


def get_contribution_for_user(user: User, pk: int) -> Contribution:
    """The contribution if ``user`` may see it: a role holder of its unit or of the
    assignment's responsible unit, or a member of a college-wide group; else Http404.

    Seeing is not acting: each transition checks its own right (PermissionDenied → 403)."""
    contribution = (
        Contribution.objects.select_related(
            "assignment__cycle",
            "assignment__table",
            "assignment__responsible_unit",
            "unit",
            "current_version__upload",
            "current_version__created_by",
        )
        .filter(pk=pk)
        .first()
    )
    if contribution is None or not _may_see(user, contribution):
        raise Http404
    return contribution


def _may_see(user: User, contribution: Contribution) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if any(has_college_role(user, role) for role in CollegeRole):
        return True
    units = {contribution.unit_id, contribution.assignment.responsible_unit_id}
    return _holds_role_in(user, list(units))


def get_report_for_user(user: User, pk: int) -> TableReport:
    """The table report if ``user`` may see it: a role holder of the responsible unit or of an
    assisting unit of its assignment, or a member of a college-wide group; else Http404."""
    report = (
        TableReport.objects.select_related(
            "assignment__cycle", "assignment__table", "assignment__responsible_unit"
        )
        .filter(pk=pk)
        .first()
    )
    if report is None or not _may_see_report(user, report):
        raise Http404
    return report


@dataclass(frozen=True)
class RowScope:
    """Whose rows of a table report a person may read. ``codes`` None: everyone's (the college
    groups and the responsible unit); else the codes of the assisting units they hold a role in,
    with those units' names (approved rows and last year's rows carry the 来源单位 name, not the
    code). An assisting unit sees where the table stands and its own rows and findings, never
    the other units' — on every page of the report, this year's data and last year's alike."""

    codes: frozenset[str] | None
    names: frozenset[str] = frozenset()

    @property
    def everything(self) -> bool:
        return self.codes is None

    def allows_code(self, code: str | None) -> bool:
        return self.codes is None or (code is not None and code in self.codes)

    def allows_name(self, name: str | None) -> bool:
        return self.codes is None or (name is not None and name in self.names)


EVERYTHING = RowScope(None)


def report_row_scope(user: User, report: TableReport) -> RowScope:
    """The ``RowScope`` of ``user`` on ``report`` (the caller has already checked that they
    may see the report at all)."""
    if any(has_college_role(user, role) for role in CollegeRole):
        return EVERYTHING
    assignment = report.assignment
    if _holds_role_in(user, [assignment.responsible_unit_id]):
        return EVERYTHING
    mine = [u for u in assignment.assisting_units.all() if _holds_role_in(user, [u.pk])]
    return RowScope(frozenset(u.code for u in mine), frozenset(u.name for u in mine))


def _may_see_report(user: User, report: TableReport) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if any(has_college_role(user, role) for role in CollegeRole):
        return True
    assignment = report.assignment
    units = [assignment.responsible_unit_id]
    units += list(assignment.assisting_units.values_list("pk", flat=True))
    return _holds_role_in(user, units)


def _holds_role_in(user: User, unit_ids: list[int]) -> bool:
    """A unit role in one of these units, held or through a running delegation."""
    return UserObjectPermission.objects.filter(
        user=user,
        content_type=ContentType.objects.get_for_model(Unit),
        permission__codename__in=list(CODENAME_TO_UNIT_ROLE),
        object_pk__in=[str(pk) for pk in unit_ids],
    ).exists() or delegation.held_in_units(user, unit_ids)


def require_right(check: Callable[..., None], obj: Any, user: User, *args: Any) -> None:
    """403 (PermissionDenied from ``check``) before a form is read when the person may not take
    the action at all; a refusal for the object's state is left to the transition, which says
    why in a message."""
    with contextlib.suppress(ValidationError):
        check(obj, user, *args)
