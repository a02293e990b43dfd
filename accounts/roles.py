"""The roles of DESIGN.md: per-unit roles are guardian permissions on a Unit, college-wide
roles are Django groups. This module is the one place that maps a role to either."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitRole(models.TextChoices):
    COLLECTOR = "collector", _("Data collector")
    SOURCE_REVIEWER = "source_reviewer", _("Source reviewer")
    HEAD = "head", _("Unit head")
    SECOND_REVIEWER = "second_reviewer", _("Second reviewer")

    @property
    def codename(self) -> str:
        return UNIT_ROLE_PERMS[self][0]

    @property
    def perm(self) -> str:
        return f"accounts.{self.codename}"


# codename, description: these become Unit.Meta.permissions.
UNIT_ROLE_PERMS: dict[str, tuple[str, str]] = {
    UnitRole.COLLECTOR: ("collect_for_unit", "Collect data for the unit"),
    UnitRole.SOURCE_REVIEWER: ("review_for_unit", "Review the unit's data at the source"),
    UnitRole.HEAD: ("sign_for_unit", "Sign off the unit's data as its head"),
    UnitRole.SECOND_REVIEWER: ("second_review_for_unit", "Second-review merged tables"),
}
CODENAME_TO_UNIT_ROLE = {
    codename: UnitRole(role) for role, (codename, _d) in UNIT_ROLE_PERMS.items()
}


class CollegeRole(models.TextChoices):
    COLLECTION_GROUP = "collection_group", _("Collection group")
    COLLEGE_REVIEW_GROUP = "college_review_group", _("College review group")
    OFFICE = "office", _("Office of the leading group")
    LEADERSHIP = "leadership", _("College leadership")

    @property
    def group_name(self) -> str:
        return str(self.value)


# A unit needs at least this many source reviewers (regulation 一(二)1: "至少指定 2 人").
MIN_SOURCE_REVIEWERS = 2
