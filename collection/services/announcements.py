"""Announcements (通知公告) of the deployment stage (regulation 三(一)): the office publishes the
work plan, the 分工表 and training material, with attachments, to every unit or chosen ones;
each target unit's collector and head confirm they have read it.

Every write is the office's (except confirming one has read), atomic and audited. Attachments are
kept as they came, with their sha256, outside any public URL (downloads go through a view that
checks who may see the announcement).
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.models import UserObjectPermission

from accounts.audit import event_record
from accounts.models import Notification, Unit, User
from accounts.notifications import Message, notify, outbox_enqueue, outbox_ids
from accounts.roles import CollegeRole, UnitRole
from accounts.selectors import has_college_role, is_office, unit_staffing_list
from collection.models import Announcement, AnnouncementAttachment, AnnouncementReceipt, Cycle
from collection.services.closed import require_open

READERS = (UnitRole.COLLECTOR, UnitRole.HEAD)  # who confirms, per target unit
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
# Files that run when opened, or script a browser: never accepted, whatever they claim to be.
REFUSED_EXTENSIONS = frozenset(
    [
        "exe",
        "com",
        "bat",
        "cmd",
        "scr",
        "pif",
        "msi",
        "msp",
        "msc",
        "cpl",
        "dll",
        "sys",
        "drv",
        "ocx",
        "lnk",
        "url",
        "reg",
        "inf",
        "hta",
        "js",
        "jse",
        "vbs",
        "vbe",
        "wsf",
        "wsh",
        "ps1",
        "psm1",
        "psd1",
        "sh",
        "bash",
        "zsh",
        "csh",
        "ksh",
        "py",
        "pyw",
        "pl",
        "rb",
        "php",
        "jar",
        "class",
        "apk",
        "app",
        "dmg",
        "deb",
        "rpm",
        "run",
        "bin",
        "elf",
        "so",
        "dylib",
        "html",
        "htm",
        "xhtml",
        "shtml",
        "svg",
        "svgz",
        "xml",
        "xsl",
        "mht",
        "mhtml",
        "swf",
        "iso",
        "img",
        "vhd",
        "docm",
        "xlsm",
        "pptm",
        "dotm",
        "xltm",
        "potm",
        "ppsm",
        "xlam",
        "ppam",
    ]
)
# Magic numbers of executables (Windows PE, ELF, Mach-O, shell scripts).
EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa", b"\xcf\xfa\xed\xfe", b"#!")


def max_bytes() -> int:
    return int(getattr(settings, "CAIJI_ANNOUNCEMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def _require_office(actor: User | None) -> None:
    if actor is not None and not is_office(actor):
        raise PermissionDenied(
            _("Only the office of the leading group may write and publish announcements.")
        )


def _require_draft(announcement: Announcement) -> None:
    if announcement.published_at is not None:
        raise ValidationError(
            _(
                "“%(title)s” is already published and cannot change: publish a new "
                "announcement with the correction."
            )
            % {"title": announcement.title}
        )


def _lock(announcement: Announcement) -> Announcement:
    return Announcement.objects.select_for_update().get(pk=announcement.pk)


def _require_open_cycle(announcement: Announcement) -> None:
    """An announcement of a closed cycle is part of it: it no longer changes nor goes out."""
    if announcement.cycle_id is not None:
        require_open(announcement.cycle)  # type: ignore[arg-type]


# Writing a draft --------------------------------------------------------------------------------


@transaction.atomic
def announcement_save(
    *,
    actor: User,
    title: str,
    body: str = "",
    all_units: bool = True,
    units: Iterable[Unit] = (),
    cycle: Cycle | None = None,
    announcement: Announcement | None = None,
) -> Announcement:
    """Create a draft (``announcement=None``) or change one. Published ones never change."""
    _require_office(actor)
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("Give the announcement a title."))
    if cycle is not None:
        require_open(Cycle.objects.get(pk=cycle.pk))  # as it is now, not as the form read it
    chosen = list(units)
    if not all_units and not chosen:
        raise ValidationError(
            _("Choose the units the announcement is for, or send it to every unit.")
        )
    if announcement is None:
        announcement = Announcement.objects.create(
            title=title, body=body or "", all_units=all_units, cycle=cycle, created_by=actor
        )
        action = "announcement.create"
    else:
        announcement = _lock(announcement)
        _require_draft(announcement)
        announcement.title, announcement.body = title, body or ""
        announcement.all_units, announcement.cycle = all_units, cycle
        announcement.save(update_fields=["title", "body", "all_units", "cycle"])
        action = "announcement.update"
    announcement.units.set([] if all_units else chosen)
    event_record(
        actor=actor,
        action=action,
        obj=announcement,
        data={
            "all_units": all_units,
            "units": sorted(u.code for u in chosen) if not all_units else [],
        },
    )
    return announcement


def clean_filename(name: str) -> str:
    """The file's own name, or ValidationError for a name that is empty, hides a path, carries
    control or direction-changing characters, or names a program."""
    name = unicodedata.normalize("NFC", (name or "").strip())
    hostile = (
        not name
        or len(name) > 200
        or name in (".", "..")
        or name.startswith(".")
        or any(c in name for c in '/\\:*?"<>|')
        or any(unicodedata.category(c) in ("Cc", "Cf") for c in name)
    )
    if hostile:
        raise ValidationError(
            _(
                "The file name “%(name)s” cannot be kept: rename the file with letters, digits "
                "and a usual extension (e.g. 工作方案.pdf) and upload it again."
            )
            % {"name": name[:80]}
        )
    extension = os.path.splitext(name)[1].lower().lstrip(".")
    if not extension or extension in REFUSED_EXTENSIONS:
        raise ValidationError(
            _(
                "“%(name)s” is not accepted: attach documents (PDF, Word, Excel, PowerPoint, "
                "images, zip …), never programs, scripts, web pages or files with macros."
            )
            % {"name": name}
        )
    return name


@transaction.atomic
def attachment_add(
    *, actor: User, announcement: Announcement, file: UploadedFile
) -> AnnouncementAttachment:
    """Keep an uploaded file with a draft, as it came (size, sha256)."""
    _require_office(actor)
    announcement = _lock(announcement)
    _require_draft(announcement)
    _require_open_cycle(announcement)
    name = clean_filename(file.name or "")
    size = file.size or 0
    if size > max_bytes():
        raise ValidationError(
            _(
                "“%(name)s” is %(size)s MB; at most %(max)s MB may be attached: compress or split it."
            )
            % {"name": name, "size": round(size / 1048576, 1), "max": max_bytes() // 1048576}
        )
    if size == 0:
        raise ValidationError(_("“%(name)s” is empty: attach the file itself.") % {"name": name})
    digest = hashlib.sha256()
    head = b""
    file.seek(0)
    for chunk in file.chunks():
        if not head:
            head = chunk[:8]
        digest.update(chunk)
    if head.startswith(EXECUTABLE_MAGIC):
        raise ValidationError(
            _("“%(name)s” is a program, whatever its name says: it is not accepted.")
            % {"name": name}
        )
    file.seek(0)
    attachment = AnnouncementAttachment(
        announcement=announcement,
        filename=name,
        size=size,
        sha256=digest.hexdigest(),
        uploaded_at=timezone.now(),
    )
    attachment.file.save(attachment.sha256, file, save=False)
    attachment.save()
    event_record(
        actor=actor,
        action="announcement.attach",
        obj=announcement,
        data={"file": name, "size": size, "sha256": attachment.sha256},
    )
    return attachment


@transaction.atomic
def attachment_remove(*, actor: User, attachment: AnnouncementAttachment) -> None:
    """Take a file off a draft (the stored file goes once the transaction commits)."""
    _require_office(actor)
    announcement = _lock(attachment.announcement)
    _require_draft(announcement)
    _require_open_cycle(announcement)
    storage, path = attachment.file.storage, attachment.file.name
    data = {"file": attachment.filename, "sha256": attachment.sha256}
    attachment.delete()
    event_record(actor=actor, action="announcement.detach", obj=announcement, data=data)
    if path and not AnnouncementAttachment.objects.filter(file=path).exists():
        transaction.on_commit(lambda: storage.delete(path))


# Publishing and reading -------------------------------------------------------------------------


def target_units(announcement: Announcement) -> QuerySet[Unit]:
    units = Unit.objects.filter(active=True)
    if not announcement.all_units:
        units = units.filter(pk__in=announcement.units.values("pk"))
    return units.order_by("code")


def detail_link(announcement: Announcement) -> str:
    return reverse("collection:announcement_detail", args=[announcement.pk])


def _message(announcement: Announcement, subject: str) -> Message:
    return Message(
        kind=Notification.Kind.ANNOUNCEMENT,
        subject=subject,
        body=announcement.body[:2000],
        link=detail_link(announcement),
    )


@transaction.atomic
def announcement_publish(*, actor: User, announcement: Announcement) -> Announcement:
    """Publish a draft: from now on it is fixed, and the collectors and heads of its units each
    get one notification (in-app and e-mail), however many of the units they serve."""
    _require_office(actor)
    announcement = _lock(announcement)
    _require_draft(announcement)
    _require_open_cycle(announcement)
    status = read_status(announcement)
    if not status:
        raise ValidationError(_("None of the chosen units is active: choose other units."))
    announcement.published_at = timezone.now()
    announcement.save(update_fields=["published_at"])
    people = [p for row in status for p in row.people]
    created = notify(
        people,
        _message(announcement, _("Announcement: %(title)s") % {"title": announcement.title}),
        dedupe_key=f"announcement:{announcement.pk}",
    )
    outbox_enqueue(outbox_ids(created))
    event_record(
        actor=actor,
        action="announcement.publish",
        obj=announcement,
        data={"units": len(status), "notified": len(created)},
    )
    return announcement


@transaction.atomic
def announcement_remind(*, actor: User, announcement: Announcement) -> int:
    """Remind those who have not yet confirmed (at most once a day each); returns how many
    were reminded."""
    _require_office(actor)
    announcement = _lock(announcement)
    if announcement.published_at is None:
        raise ValidationError(_("Publish the announcement before sending reminders."))
    _require_open_cycle(announcement)
    waiting = [p for row in read_status(announcement) for p in row.unread]
    created = notify(
        waiting,
        _message(
            announcement,
            _("Reminder: please read “%(title)s” and confirm") % {"title": announcement.title},
        ),
        dedupe_key=f"announcement:{announcement.pk}:remind:{timezone.localdate().isoformat()}",
    )
    outbox_enqueue(outbox_ids(created))
    event_record(
        actor=actor,
        action="announcement.remind",
        obj=announcement,
        data={"reminded": len(created), "unread": len({p.pk for p in waiting})},
    )
    return len(created)


def units_to_confirm(user: User, announcement: Announcement) -> list[Unit]:
    """The target units in which ``user`` is collector or head themself (those they confirm
    for); a delegate confirms nothing for the person they act for."""
    return [row.unit for row in read_status(announcement) if user in row.people]


@transaction.atomic
def announcement_confirm_read(*, actor: User, announcement: Announcement) -> int:
    """The collector or head of a target unit confirms they have read it: one receipt per
    person and unit (for each target unit they serve); again changes nothing. Returns the
    number of new receipts."""
    announcement = _lock(announcement)
    if announcement.published_at is None:
        raise ValidationError(_("This announcement is not published yet."))
    units = units_to_confirm(actor, announcement)
    if not units:
        raise PermissionDenied(
            _(
                "Only the data collector and the head of a unit the announcement is for "
                "confirm they have read it."
            )
        )
    done = set(
        AnnouncementReceipt.objects.filter(announcement=announcement, user=actor).values_list(
            "unit_id", flat=True
        )
    )
    fresh = [u for u in units if u.pk not in done]
    AnnouncementReceipt.objects.bulk_create(
        [AnnouncementReceipt(announcement=announcement, user=actor, unit=u) for u in fresh],
        ignore_conflicts=True,
    )
    if fresh:
        event_record(
            actor=actor,
            action="announcement.read",
            obj=announcement,
            unit=fresh[0],
            data={"units": [u.code for u in fresh]},
        )
    return len(fresh)


# Reads -----------------------------------------------------------------------------------------


@dataclass
class UnitReadStatus:
    """One target unit: its collectors and heads, and which of them confirmed."""

    unit: Unit
    readers: list[tuple[UnitRole, User, bool]] = field(default_factory=list)

    @property
    def people(self) -> list[User]:
        return [p for _r, p, _read in self.readers]

    @property
    def unread(self) -> list[User]:
        return [p for _r, p, read in self.readers if not read]

    def read_by(self, role: UnitRole) -> list[tuple[User, bool]]:
        return [(p, read) for r, p, read in self.readers if r == role]

    @property
    def collectors(self) -> list[tuple[User, bool]]:
        return self.read_by(UnitRole.COLLECTOR)

    @property
    def heads(self) -> list[tuple[User, bool]]:
        return self.read_by(UnitRole.HEAD)


def read_status(announcement: Announcement) -> list[UnitReadStatus]:
    """Per target unit, its active collectors and heads and whether each confirmed (three
    queries, whatever the number of units)."""
    receipts = set(
        AnnouncementReceipt.objects.filter(announcement=announcement).values_list(
            "unit_id", "user_id"
        )
    )
    found = []
    for staffing in unit_staffing_list(target_units(announcement)):
        row = UnitReadStatus(staffing.unit)
        for role in READERS:
            for person in staffing.of(role):
                row.readers.append((role, person, (staffing.unit.pk, person.pk) in receipts))
        found.append(row)
    return found


def may_see(user: User, announcement: Announcement) -> bool:
    """The office sees every announcement, drafts too. A published one: every college-wide
    role; for every unit, everyone signed in; for chosen units, their members and role
    holders (delegates included)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if is_office(user):
        return True
    if announcement.published_at is None:
        return False
    if announcement.all_units or any(has_college_role(user, r) for r in CollegeRole):
        return True
    targets = set(announcement.units.values_list("pk", flat=True))
    if user.unit_id in targets:
        return True
    from accounts.delegation import held_in_units
    from accounts.selectors import unit_roles_of_user

    return any(unit.pk in targets for unit, _r in unit_roles_of_user(user)) or held_in_units(
        user, targets
    )


def announcements_for_user(user: User) -> QuerySet[Announcement]:
    """What ``user`` may see, newest first: everything for the office, else the published ones
    for every unit and those for a unit they belong to or hold a role (or a delegation) in."""
    found = Announcement.objects.all()
    if not is_office(user):
        found = found.filter(published_at__isnull=False)
        if not any(has_college_role(user, r) for r in CollegeRole):
            mine = _my_unit_ids(user, roles=None)
            found = found.filter(Q(all_units=True) | Q(units__in=mine)).distinct()
    return found.select_related("created_by").order_by("-published_at", "-created_at", "-id")


def _my_unit_ids(user: User, roles: Iterable[UnitRole] | None) -> set[int]:
    from accounts.delegation import held_by
    from accounts.selectors import unit_roles_of_user

    ids = {u.pk for u, r in unit_roles_of_user(user) if roles is None or r in roles}
    if roles is None:
        ids |= {d.unit_id for d in held_by(user)}
        if user.unit_id:
            ids.add(user.unit_id)
    return ids


def unread_for_user(user: User) -> QuerySet[Announcement]:
    """The published announcements ``user`` still has to confirm: for one of the active units
    they are collector or head of, they have no receipt (one query)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Announcement.objects.none()
    grants = UserObjectPermission.objects.filter(
        user=user,
        content_type=ContentType.objects.get_for_model(Unit),
        permission__codename__in=[r.codename for r in READERS],
    ).values("object_pk")
    receipt = AnnouncementReceipt.objects.filter(
        announcement_id=OuterRef(OuterRef("pk")), user_id=user.pk, unit_id=OuterRef("pk")
    )
    waiting = (
        Unit.objects.filter(active=True)
        .annotate(pk_text=Cast("pk", CharField()))
        .filter(pk_text__in=grants)
        .filter(~Exists(receipt))
    )
    targeted = Announcement.units.through.objects.filter(
        announcement_id=OuterRef(OuterRef("pk")), unit_id=OuterRef("pk")
    )
    return (
        Announcement.objects.filter(published_at__isnull=False)
        .filter((Q(all_units=True) & Exists(waiting)) | Exists(waiting.filter(Exists(targeted))))
        .order_by("-published_at", "-id")
    )
