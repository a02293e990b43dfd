"""The inbox (收件箱): every signed-in person's notifications; the office's outbox page."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import notifications
from accounts.access import office_required
from accounts.models import Notification, OutboxMessage


def inbox(request: HttpRequest) -> HttpResponse:
    """My notifications, newest first; the unread ones stand out."""
    mine = Notification.objects.filter(recipient=request.user).select_related("unit")  # type: ignore[misc]
    page = Paginator(mine, 30).get_page(request.GET.get("page"))
    return render(request, "accounts/inbox.html", {"page": page})


@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one as read; with ``open`` go on to the page it is about. Another person's
    notification is a 404, like a missing one."""
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    notifications.notification_mark_read(user=request.user, notification=notification)  # type: ignore[arg-type]
    link = notification.link
    if request.POST.get("open") and link and url_has_allowed_host_and_scheme(link, None):
        return redirect(link)
    return redirect("accounts:inbox")


@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = notifications.notifications_mark_all_read(user=request.user)  # type: ignore[arg-type]
    messages.success(request, _("%(count)s notification(s) marked as read.") % {"count": count})
    return redirect("accounts:inbox")


@office_required
def outbox_list(request: HttpRequest) -> HttpResponse:
    """Outgoing e-mails and group-robot messages that are waiting or failed."""
    waiting = OutboxMessage.objects.exclude(state=OutboxMessage.State.SENT).order_by("-id")
    page = Paginator(waiting, 50).get_page(request.GET.get("page"))
    for message in page:  # a robot address carries its secret key: never shown whole
        webhook = message.channel == OutboxMessage.Channel.WEBHOOK
        address = notifications.mask_url(message.address) if webhook else message.address
        message.shown_address = address  # type: ignore[attr-defined]
        message.shown_subject = notifications.outbox_subject(message)  # type: ignore[attr-defined]
    return render(request, "office/outbox.html", {"page": page})


@office_required
@require_POST
def outbox_retry(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(OutboxMessage, pk=pk)
    notifications.outbox_retry(actor=request.user, message=message)  # type: ignore[arg-type]
    messages.success(request, _("The message will be sent again now."))
    return redirect("accounts:outbox_list")
