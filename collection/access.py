"""Access helpers for cycles and specs: everyone signed in may read them; the office edits."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import is_office
from collection.models import Announcement, Cycle, TableSpec
from collection.selectors import table_with_fields


def get_cycle(user: User, year: int, *, edit: bool = False) -> Cycle:
    cycle = get_object_or_404(Cycle, year=year)
    if edit and not is_office(user):
        raise PermissionDenied(
            _("Only the office of the leading group may change cycles and table specs.")
        )
    return cycle


def get_table(user: User, year: int, code: str, *, edit: bool = False) -> TableSpec:
    cycle = get_cycle(user, year, edit=edit)
    try:
        return table_with_fields(cycle, code)
    except TableSpec.DoesNotExist:
        raise Http404 from None


def get_announcement_for_user(user: User, pk: int) -> Announcement:
    """An announcement ``user`` may see (collection/services/announcements.may_see), else 404:
    drafts and announcements for other units do not exist for them."""
    from collection.services.announcements import may_see

    announcement = Announcement.objects.filter(pk=pk).select_related("cycle").first()
    if announcement is None or not may_see(user, announcement):
        raise Http404
    return announcement


def get_announcement_for_office(user: User, pk: int) -> Announcement:
    """For the office's actions on an announcement: 403 for anyone else, whatever the id."""
    if not is_office(user):
        raise PermissionDenied(
            _("Only the office of the leading group may write and publish announcements.")
        )
    return get_object_or_404(Announcement.objects.select_related("cycle"), pk=pk)
