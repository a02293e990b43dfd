from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.roles import UNIT_ROLE_PERMS

phone_validator = RegexValidator(
    r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$",
    _("Enter an 11-digit mobile number or a landline such as 0531-88888888."),
)
code_validator = RegexValidator(
    r"^[0-9A-Za-z]{1,20}$", _("A unit code has only digits and letters, at most 20.")
)
staff_id_validator = RegexValidator(
    r"^[0-9A-Za-z_-]{1,30}$", _("A staff ID has only digits, letters, - and _, at most 30.")
)


class Unit(models.Model):
    class Kind(models.TextChoices):
        FUNCTIONAL = "functional", _("Functional department")
        TEACHING = "teaching", _("Teaching unit")
        DIRECT = "direct", _("Directly affiliated unit")

    code = models.CharField(_("unit code"), max_length=20, unique=True, validators=[code_validator])
    name = models.CharField(_("unit name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        permissions = list(UNIT_ROLE_PERMS.values())

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person, signed in with the staff ID (工号) as username."""

    username = models.CharField(
        _("staff ID"),
        max_length=30,
        unique=True,
        validators=[staff_id_validator],
        error_messages={"unique": _("A person with this staff ID already exists.")},
    )
    name = models.CharField(_("name"), max_length=50)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[phone_validator])
    email = models.EmailField(_("e-mail"), blank=True)
    must_change_password = models.BooleanField(_("must change password"), default=False)

    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]

    REQUIRED_FIELDS = ["name"]

    objects = UserManager()  # type: ignore[misc]

    class Meta:
        ordering = ["username"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return f"{self.name}（{self.username}）" if self.name else self.username

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name


class EventQuerySet(models.QuerySet["Event"]):
    def update(self, **kwargs: object) -> int:
        raise ValidationError(_("Audit events are append-only and cannot be changed."))

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValidationError(_("Audit events are append-only and cannot be deleted."))


class Event(models.Model):
    """One append-only audit record (操作记录): who did what to which object, when, from where."""

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    acting_for = models.ForeignKey(
        User,
        verbose_name=_("acting for"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=50, db_index=True)
    object_type = models.CharField(_("object type"), max_length=50)
    object_id = models.CharField(_("object id"), max_length=50)
    object_repr = models.CharField(_("object"), max_length=200)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    from_state = models.CharField(_("from"), max_length=30, blank=True)
    to_state = models.CharField(_("to"), max_length=30, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    content_hash = models.CharField(_("content hash"), max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise ValidationError(_("Audit events are append-only and cannot be changed."))
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValidationError(_("Audit events are append-only and cannot be deleted."))


class Notification(models.Model):
    """One message for one person (收件箱): shown in the in-app inbox and, through the outbox,
    sent by e-mail. Written in the same transaction as the change it tells about."""

    class Kind(models.TextChoices):
        PUBLISHED = "published", _("Task breakdown published")
        RETURNED = "returned", _("Returned")
        APPROVED = "approved", _("Approved")
        REOPENED = "reopened", _("Reopened")
        SIGN_REQUEST = "sign_request", _("Waiting for your signature")
        REVIEW_REQUEST = "review_request", _("Waiting for your review")
        REMINDER = "reminder", _("Deadline reminder")
        OVERDUE = "overdue", _("Overdue")
        ANNOUNCEMENT = "announcement", _("Announcement")
        OTHER = "other", _("Notice")

    recipient = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    unit = models.ForeignKey(Unit, on_delete=models.SET_NULL, null=True, blank=True)
    # Deduplicates reminders and retried tasks: one notification per person and key.
    dedupe_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notification_unique_dedupe",
            )
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"{self.recipient} {self.subject}"


class OutboxMessage(models.Model):
    """A message to send outside the application (e-mail, group-robot webhook), written to the
    database first and sent from here by a Celery task: a retried task sends nothing twice, and
    with Redis or the worker down nothing is lost."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        WEBHOOK = "webhook", _("Group robot")

    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("outbox state", "Waiting")
        SENT = "sent", pgettext_lazy("outbox state", "Sent")
        FAILED = "failed", pgettext_lazy("outbox state", "Failed")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, null=True, blank=True, related_name="outbox"
    )
    address = models.CharField(_("recipient address"), max_length=500)
    payload = models.JSONField(_("content"), default=dict)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")

    def __str__(self) -> str:
        return f"{self.channel} {self.address} ({self.state})"


class Delegation(models.Model):
    """A head or reviewer hands their role in their unit to a colleague of the same unit for a
    date range (委托). While it runs the delegate may act in that role; every action they take
    records ``Event.acting_for`` = the delegator."""

    delegator = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="delegations_given", verbose_name=_("for")
    )
    delegate = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="delegations_held", verbose_name=_("delegate")
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=30)  # an accounts.roles.UnitRole value
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    reason = models.TextField(_("reason"), blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(_("ended early"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-starts_on", "-id"]
        indexes = [models.Index(fields=["delegate", "starts_on", "ends_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="delegation_dates_in_order",
            )
        ]
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")

    def __str__(self) -> str:
        return f"{self.delegator} → {self.delegate} ({self.role})"
