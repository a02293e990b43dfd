"""Announcements (通知公告): the office writes, attaches, publishes and follows who has read;
everyone reads those for their units and confirms (collectors and heads)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import office_required
from accounts.selectors import is_office
from collection.access import get_announcement_for_office, get_announcement_for_user
from collection.files import announcement_response
from collection.forms_announcements import AnnouncementForm, AttachmentForm
from collection.models import Announcement
from collection.services import announcements as service


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@require_GET
def announcement_list(request: HttpRequest) -> HttpResponse:
    """The announcements for my units (every one, drafts too, for the office)."""
    user = request.user
    found = list(service.announcements_for_user(user))  # type: ignore[arg-type]
    unread = set(service.unread_for_user(user).values_list("pk", flat=True))  # type: ignore[arg-type]
    return render(
        request,
        "collection/announcements/list.html",
        {"announcements": found, "unread": unread, "office": is_office(user)},  # type: ignore[arg-type]
    )


@office_required
@require_http_methods(["GET", "POST"])
def announcement_create(request: HttpRequest) -> HttpResponse:
    form = AnnouncementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            found = service.announcement_save(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The draft is saved: add attachments, then publish it."))
            return redirect("collection:announcement_edit", pk=found.pk)
    return render(
        request,
        "collection/announcements/form.html",
        {"form": form, "announcement": None},
        status=422 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def announcement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft: its text, units and attachments; publish from here."""
    announcement = get_announcement_for_office(request.user, pk)  # type: ignore[arg-type]
    if announcement.published_at is not None:
        return redirect("collection:announcement_detail", pk=pk)
    initial = {
        "title": announcement.title,
        "body": announcement.body,
        "cycle": announcement.cycle,
        "all_units": announcement.all_units,
        "units": list(announcement.units.all()),
    }
    form = AnnouncementForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            service.announcement_save(
                actor=request.user,  # type: ignore[arg-type]
                announcement=announcement,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The draft is saved."))
            return redirect("collection:announcement_edit", pk=pk)
    return render(
        request,
        "collection/announcements/form.html",
        {
            "form": form,
            "announcement": announcement,
            "attach_form": AttachmentForm(),
            "attachments": announcement.attachments.all(),
        },
        status=422 if form.errors else 200,
    )


@require_POST
def announcement_attach(request: HttpRequest, pk: int) -> HttpResponse:
    announcement = get_announcement_for_office(request.user, pk)  # type: ignore[arg-type]
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file to attach."))
    else:
        try:
            found = service.attachment_add(
                actor=request.user,  # type: ignore[arg-type]
                announcement=announcement,
                file=form.cleaned_data["file"],
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("“%(name)s” is attached.") % {"name": found.filename})
    return redirect("collection:announcement_edit", pk=pk)


@require_POST
def announcement_detach(request: HttpRequest, pk: int, file_pk: int) -> HttpResponse:
    announcement = get_announcement_for_office(request.user, pk)  # type: ignore[arg-type]
    attachment = announcement.attachments.filter(pk=file_pk).first()
    if attachment is None:
        raise Http404
    try:
        service.attachment_remove(actor=request.user, attachment=attachment)  # type: ignore[arg-type]
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("“%(name)s” is removed.") % {"name": attachment.filename})
    return redirect("collection:announcement_edit", pk=pk)


@require_POST
def announcement_publish(request: HttpRequest, pk: int) -> HttpResponse:
    announcement = get_announcement_for_office(request.user, pk)  # type: ignore[arg-type]
    try:
        service.announcement_publish(actor=request.user, announcement=announcement)  # type: ignore[arg-type]
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("collection:announcement_edit", pk=pk)
    messages.success(
        request, _("Published: the collectors and heads of its units have been notified.")
    )
    return redirect("collection:announcement_detail", pk=pk)


@require_POST
def announcement_remind(request: HttpRequest, pk: int) -> HttpResponse:
    announcement = get_announcement_for_office(request.user, pk)  # type: ignore[arg-type]
    try:
        count = service.announcement_remind(actor=request.user, announcement=announcement)  # type: ignore[arg-type]
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(
            request,
            _("%(count)s person(s) reminded (each at most once a day).") % {"count": count},
        )
    return redirect("collection:announcement_detail", pk=pk)


@require_GET
def announcement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The announcement and its attachments; the office also sees who has read it."""
    user = request.user
    announcement = get_announcement_for_user(user, pk)  # type: ignore[arg-type]
    published = announcement.published_at is not None
    status = service.read_status(announcement) if published else []
    mine = {row.unit.pk for row in status if user in row.people}
    read = {row.unit.pk for row in status for _r, p, done in row.readers if p == user and done}
    return render(
        request,
        "collection/announcements/detail.html",
        {
            "announcement": announcement,
            "attachments": announcement.attachments.all(),
            "office": is_office(user),  # type: ignore[arg-type]
            "status": status,
            "unread_count": sum(len(row.unread) for row in status),
            "may_confirm": bool(mine - read),
            "confirmed": bool(mine) and not (mine - read),
        },
    )


@require_POST
def announcement_read(request: HttpRequest, pk: int) -> HttpResponse:
    announcement = get_announcement_for_user(request.user, pk)  # type: ignore[arg-type]
    try:
        service.announcement_confirm_read(actor=request.user, announcement=announcement)  # type: ignore[arg-type]
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Thank you: your reading is recorded."))
    return redirect("collection:announcement_detail", pk=pk)


@require_GET
def announcement_file(request: HttpRequest, pk: int, file_pk: int) -> FileResponse:
    """An attachment as it came, for whoever may see the announcement (never a public URL):
    a download, typed from a fixed list by its verified extension (collection/files.py)."""
    announcement: Announcement = get_announcement_for_user(request.user, pk)  # type: ignore[arg-type]
    attachment = announcement.attachments.filter(pk=file_pk).first()
    if attachment is None or not attachment.file:
        raise Http404
    return announcement_response(attachment)
