"""The platform's blank templates (批量下载模板) as the office loads them into a cycle.

A ``TemplatePack`` is one upload of the year's pack (a .zip of .xls/.xlsx files as downloaded, or
the files themselves), kept as it came, with the change report computed from it; nothing in the
cycle changes until the office confirms the report. A ``TemplateFile`` is one table's blank
template from a confirmed pack: the table's columns follow it, and the export fills it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from collection.models import Cycle, KeptAsItCame


def pack_path(instance: TemplatePack, filename: str) -> str:
    return f"templates/{instance.uploaded_at:%Y/%m}/pack-{instance.sha256}"


def template_path(instance: TemplateFile, filename: str) -> str:
    return f"templates/{instance.uploaded_at:%Y/%m}/{instance.sha256}"


class TemplatePack(models.Model):
    """One upload of the year's template pack and its change report (see the module doc)."""

    class State(models.TextChoices):
        PREVIEW = "preview", _("Waiting for confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        DISCARDED = "discarded", _("Discarded")

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="template_packs")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PREVIEW)
    filename = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    file = models.FileField(upload_to=pack_path, max_length=300)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"))
    # The change report as computed when the pack was read (plain JSON, see
    # collection/templatepack/), and the office's corrections of matches before confirming.
    report = models.JSONField(_("change report"), default=dict, blank=True)
    decisions = models.JSONField(_("the office's corrections"), default=dict, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("confirmed or discarded"), null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("template pack")
        verbose_name_plural = _("template packs")

    def __str__(self) -> str:
        return f"{self.cycle} {self.filename}"


class TemplateFile(KeptAsItCame, models.Model):
    """One table's blank template as the platform shipped it (never edited)."""

    class Kind(models.TextChoices):
        XLSX = "xlsx", ".xlsx"
        XLS = "xls", ".xls"

    pack = models.ForeignKey(
        TemplatePack, on_delete=models.PROTECT, null=True, blank=True, related_name="templates"
    )
    table_code = models.CharField(_("table code"), max_length=30)
    filename = models.CharField(_("file name"), max_length=255)
    kind = models.CharField(max_length=4, choices=Kind.choices)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    file = models.FileField(upload_to=template_path, max_length=300)
    sheet_name = models.CharField(_("sheet name"), max_length=100)
    header_row = models.PositiveIntegerField(_("header row"), default=1)
    headers = models.JSONField(_("headers"), default=list)
    # Code lists the template carries (data validations, hidden list sheets): {header: [values]}.
    codes = models.JSONField(_("code lists in the template"), default=dict, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"))

    immutable_message = "A platform template is kept as it came and is never changed."

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("platform template")
        verbose_name_plural = _("platform templates")

    def __str__(self) -> str:
        return f"{self.table_code} {self.filename}"
