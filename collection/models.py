"""Cycles and the platform's tables as data (TableSpec, FieldSpec, CodeList), uploads, and the
task breakdown with what each unit provides (Assignment, Contribution, Version, TableReport).

The states are declared here (collection may not import review); only review.workflow assigns
them."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from collection.schema import CycleDates, FieldType


class KeptAsItCame:
    """Rows that are written once and never changed (uploads, versions, explanations)."""

    immutable_message = "This record is never changed."
    _state: models.base.ModelState

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise ValueError(self.immutable_message)
        super().save(*args, **kwargs)  # type: ignore[misc]


class CycleStatus(models.TextChoices):
    PREPARING = "preparing", _("Preparing")
    DEPLOYMENT = "deployment", _("Deployment")
    COLLECTING = "collecting", _("Collection and merging")
    REVIEWING = "reviewing", _("Review and upload")
    DONE = "done", _("Uploaded (closed)")


class DependencyMode(models.TextChoices):
    """What a table whose prerequisite tables are not yet delivered does (per cycle)."""

    WARN = "warn", _("Warn only")
    BLOCK = "block", _("Block submission")


class Cycle(models.Model):
    """One year's collection (年度采集)."""

    year = models.PositiveIntegerField(_("year"), unique=True)
    snapshot_date = models.DateField(_("statistics date (时点)"))
    academic_start = models.DateField(_("academic year from"))
    academic_end = models.DateField(_("academic year to"))
    natural_start = models.DateField(_("natural year from"))
    natural_end = models.DateField(_("natural year to"))
    status = models.CharField(
        _("status"), max_length=20, choices=CycleStatus.choices, default=CycleStatus.PREPARING
    )
    previous = models.ForeignKey(
        "self",
        verbose_name=_("previous cycle"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    deployment_deadline = models.DateField(_("deployment ends"), null=True, blank=True)
    collection_deadline = models.DateField(_("collection and merging ends"), null=True, blank=True)
    review_deadline = models.DateField(_("review and upload ends"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    published_at = models.DateTimeField(_("task breakdown published"), null=True, blank=True)
    webhook_url = models.URLField(
        _("group robot address (WeCom or DingTalk)"), max_length=500, blank=True
    )
    change_threshold = models.PositiveSmallIntegerField(
        _("change from last year that needs an explanation (%)"), default=20
    )
    change_floor = models.DecimalField(
        _("smallest change that counts"), max_digits=14, decimal_places=2, default=10
    )
    dependency_mode = models.CharField(
        _("unfinished prerequisite tables"),
        max_length=10,
        choices=DependencyMode.choices,
        default=DependencyMode.WARN,
    )
    # The supplementary table sets the college fills (by its 专业类别): values of Supplement.
    supplements = models.JSONField(_("supplementary table sets"), default=list, blank=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("collection cycle")
        verbose_name_plural = _("collection cycles")

    def __str__(self) -> str:
        return f"{self.year}年度采集"

    @classmethod
    def default_dates(cls, year: int) -> dict[str, date]:
        dates = CycleDates.for_year(year)
        return {
            "snapshot_date": dates.snapshot,
            "academic_start": dates.academic_start,
            "academic_end": dates.academic_end,
            "natural_start": dates.natural_start,
            "natural_end": dates.natural_end,
        }

    def dates(self) -> CycleDates:
        return CycleDates(
            year=self.year,
            snapshot=self.snapshot_date,
            academic_start=self.academic_start,
            academic_end=self.academic_end,
            natural_start=self.natural_start,
            natural_end=self.natural_end,
        )

    @property
    def is_closed(self) -> bool:
        return self.status == CycleStatus.DONE


class Supplement(models.TextChoices):
    """The platform's supplementary table sets, which a college fills by its 专业类别."""

    TEACHER_EDUCATION = "teacher_education", _("Teacher education (师范类)")
    MEDICAL = "medical", _("Medicine (医学类)")
    ENGINEERING = "engineering", _("Engineering (工科类)")


class Confidence(models.TextChoices):
    """How sure caiji is of a table's code, name and columns this year."""

    TEMPLATE = "template", _("From this year's template")
    HIGH = "high", _("Cited in recent evidence")
    MEDIUM = "medium", _("Inferred from recent evidence")
    LOW = "low", _("Not seen since 2019")


class FieldsStatus(models.TextChoices):
    """Where a table's columns come from."""

    TEMPLATE = "template", _("This year's template")
    CATALOG = "2019", _("The 2019 table set")
    PROVISIONAL = "provisional", _("Provisional (字段待确认)")
    UNKNOWN = "unknown", _("Not public (字段待确认)")


class CodeList(models.Model):
    """Allowed values of a field (代码表), per cycle."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="code_lists")
    name = models.CharField(_("name"), max_length=200)
    values = models.JSONField(_("values"), default=list)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "name"], name="codelist_unique_name")
        ]
        verbose_name = _("code list")
        verbose_name_plural = _("code lists")

    def __str__(self) -> str:
        return self.name


class TableSpec(models.Model):
    """One platform table in one cycle (数据表)."""

    class RowMode(models.TextChoices):
        LIST = "list", _("List of records")
        SINGLE = "single", _("Single record")

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="tables")
    code = models.CharField(_("table code"), max_length=30)
    name = models.CharField(_("table name"), max_length=200)
    sheet_name = models.CharField(_("sheet name"), max_length=31)
    category = models.CharField(_("category"), max_length=100, blank=True)
    time_type = models.CharField(_("time type"), max_length=10, blank=True)
    row_mode = models.CharField(_("row mode"), max_length=10, choices=RowMode.choices)
    is_base_table = models.BooleanField(_("base table"), default=False)
    may_be_empty = models.BooleanField(_("may be empty"), default=False)
    depends_on = models.JSONField(_("depends on"), default=list, blank=True)
    responsible_hint = models.CharField(_("usual responsible unit"), max_length=300, blank=True)
    rules = models.JSONField(_("rules"), default=list, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    spec_version = models.PositiveIntegerField(_("spec version"), default=1)
    # Provenance: where the code, name and columns come from, and how sure that is.
    supplement = models.CharField(
        _("supplementary set"), max_length=20, choices=Supplement.choices, blank=True
    )
    confidence = models.CharField(
        _("confidence"), max_length=10, choices=Confidence.choices, default=Confidence.HIGH
    )
    fields_status = models.CharField(
        _("columns"), max_length=12, choices=FieldsStatus.choices, default=FieldsStatus.CATALOG
    )
    source = models.TextField(_("source"), blank=True)
    previous_code = models.CharField(_("code in the 2019 set"), max_length=30, blank=True)
    # The table's code in the previous cycle when a template pack renumbered it ("" = the same
    # code; NO_LAST_YEAR = new this year): yoy.previous_report finds last year's data by it.
    last_year_code = models.CharField(_("code last year"), max_length=30, blank=True)
    template = models.ForeignKey(
        "collection.TemplateFile",
        verbose_name=_("the platform's blank template"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["cycle", "position"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "code"], name="tablespec_unique_code")
        ]
        verbose_name = _("table spec")
        verbose_name_plural = _("table specs")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    NO_LAST_YEAR = "-"

    @property
    def fields_pending(self) -> bool:
        """字段待确认: the columns are not public yet; the year's template settles them."""
        return self.fields_status in (FieldsStatus.PROVISIONAL, FieldsStatus.UNKNOWN)


TYPE_LABELS = {
    FieldType.TEXT: _("text"),
    FieldType.INT: _("whole number"),
    FieldType.DECIMAL: _("number"),
    FieldType.CODE: _("code"),
    FieldType.DATE: _("date"),
    FieldType.BOOL: _("yes/no"),
}


class FieldSpec(models.Model):
    """One column of a table (字段), in template order."""

    table = models.ForeignKey(TableSpec, on_delete=models.CASCADE, related_name="fields")
    position = models.PositiveIntegerField(_("position"))
    name = models.CharField(_("header"), max_length=200)
    type = models.CharField(
        _("type"), max_length=10, choices=[(t.value, t.value) for t in FieldType]
    )
    required = models.BooleanField(_("required"), default=False)
    max_len = models.PositiveIntegerField(_("maximum length"), null=True, blank=True)
    format = models.CharField(_("format"), max_length=20, blank=True)
    code_list = models.ForeignKey(
        CodeList, verbose_name=_("code list"), on_delete=models.PROTECT, null=True, blank=True
    )
    help = models.TextField(_("help text (指标解释)"), blank=True)
    multi = models.BooleanField(_("several values separated by ;"), default=False)
    # Year over year: a change beyond this (percent, and at least ``change_floor`` in absolute
    # terms) asks for an explanation; empty = the cycle's defaults.
    change_threshold = models.PositiveSmallIntegerField(
        _("change from last year that needs an explanation (%)"), null=True, blank=True
    )
    change_floor = models.DecimalField(
        _("smallest change that counts"), max_digits=14, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["table", "position"]
        constraints = [
            models.UniqueConstraint(fields=["table", "name"], name="fieldspec_unique_name")
        ]
        verbose_name = _("field spec")
        verbose_name_plural = _("field specs")

    def __str__(self) -> str:
        return self.name

    @property
    def type_label(self) -> str:
        return str(TYPE_LABELS.get(FieldType(self.type), self.type))


def upload_path(instance: Upload, filename: str) -> str:
    return f"uploads/{instance.uploaded_at:%Y/%m}/{instance.sha256}"


class Upload(KeptAsItCame, models.Model):
    """One uploaded file, kept as it came (never edited), with what was read from it.

    Parsed rows are stored as one compressed JSON blob so that merge, comparison and export
    never re-read the Excel file.
    """

    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("Read")
        REJECTED = "rejected", _("Refused")

    class Purpose(models.TextChoices):
        CHECK = "check", _("Check only")
        CONTRIBUTION = "contribution", _("Contribution")
        ONLINE = "online", _("Filled in online")

    cycle = models.ForeignKey(
        Cycle, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    table_code = models.CharField(_("table code"), max_length=30)
    spec_version = models.PositiveIntegerField(default=1)
    purpose = models.CharField(max_length=20, choices=Purpose.choices, default=Purpose.CHECK)
    filename = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    file = models.FileField(upload_to=upload_path, max_length=300)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    reason = models.TextField(_("why it was refused"), blank=True)
    row_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    explain_count = models.PositiveIntegerField(default=0)
    hint_count = models.PositiveIntegerField(default=0)
    header_row = models.PositiveIntegerField(default=1)
    sheet_name = models.CharField(max_length=100, blank=True)
    rows_blob = models.BinaryField(_("parsed rows"), default=bytes)
    findings_blob = models.BinaryField(_("findings"), default=bytes)

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("upload")
        verbose_name_plural = _("uploads")

    def __str__(self) -> str:
        return f"{self.table_code} {self.filename}"

    immutable_message = "An upload is kept as it came and is never changed."


class Assignment(models.Model):
    """One row of the task breakdown (数据填报分工表): who provides a table, and by when."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="assignments")
    table = models.ForeignKey(TableSpec, on_delete=models.PROTECT, related_name="+")
    responsible_unit = models.ForeignKey(
        "accounts.Unit",
        verbose_name=_("responsible unit"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    assisting_units = models.ManyToManyField(
        "accounts.Unit", verbose_name=_("assisting units"), blank=True, related_name="+"
    )
    assisting_deadline = models.DateField(_("assisting units deliver by"), null=True, blank=True)
    responsible_deadline = models.DateField(
        _("responsible unit delivers by"), null=True, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    # Single-record tables: {unit code: [field names]} that an assisting unit fills; every other
    # field belongs to the responsible unit.
    field_owners = models.JSONField(_("fields owned by assisting units"), default=dict, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["cycle", "position"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "table"], name="assignment_unique_table")
        ]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")

    def __str__(self) -> str:
        return f"{self.table.code} {self.responsible_unit}"


class ContributionState(models.TextChoices):
    DRAFTING = "drafting", _("Drafting")
    SOURCE_REVIEW = "source_review", _("Source review")
    HEAD_SIGNOFF = "head_signoff", _("Head sign-off")
    DELIVERED = "delivered", _("Delivered to the responsible unit")


class Contribution(models.Model):
    """What one unit provides for one assignment (单位填报)."""

    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="contributions"
    )
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(
        _("state"),
        max_length=20,
        choices=ContributionState.choices,
        default=ContributionState.DRAFTING,
    )
    current_version = models.ForeignKey(
        "Version", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Counts submissions: approvals count only within the submission they were given in, so a
    # contribution returned and resubmitted with the same version needs two fresh approvals.
    submission = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["assignment", "unit__code"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "unit"], name="contribution_unique_unit")
        ]
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")

    def __str__(self) -> str:
        return f"{self.assignment.table.code} {self.unit}"


class Version(KeptAsItCame, models.Model):
    """One uploaded (or, later, edited online) version of a contribution; never changed.

    ``content_hash`` is the sha256 of the canonical JSON of the parsed rows, not of the file,
    so the same data hashes the same however it arrived.
    """

    contribution = models.ForeignKey(
        Contribution, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    upload = models.OneToOneField(Upload, on_delete=models.PROTECT, related_name="version")
    content_hash = models.CharField(_("content hash"), max_length=64)
    row_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    explain_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["contribution", "number"]
        constraints = [
            models.UniqueConstraint(fields=["contribution", "number"], name="version_unique_number")
        ]
        verbose_name = _("version")
        verbose_name_plural = _("versions")

    def __str__(self) -> str:
        return f"{self.contribution} v{self.number}"

    immutable_message = "A version is never changed: upload a new one."


class Explanation(KeptAsItCame, models.Model):
    """A collector's explanation of a 需说明 finding (append-only; the latest per key counts).

    ``finding_key`` is ``f"{rule}|{row}|{column}"`` of the finding.
    """

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="explanations")
    finding_key = models.CharField(max_length=300)
    text = models.TextField(_("explanation"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["version", "finding_key", "-created_at", "-id"]
        verbose_name = _("explanation")
        verbose_name_plural = _("explanations")

    def __str__(self) -> str:
        return self.finding_key

    immutable_message = "An explanation is never changed: add a new one."


class TableReportState(models.TextChoices):
    COLLECTING = "collecting", _("Collecting")
    SECOND_REVIEW = "second_review", _("Second review")
    COLLECTION_CHECK = "collection_check", _("Collection group check")
    COLLEGE_REVIEW = "college_review", _("College review")
    APPROVED = "approved", _("Approved")
    UPLOADED = "uploaded", _("Uploaded")


class TableReport(models.Model):
    """The responsible unit's merged table for one assignment (表汇总).

    The merge is computed from the delivered versions; it is stored only at approval.
    """

    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="report")
    state = models.CharField(
        _("state"),
        max_length=20,
        choices=TableReportState.choices,
        default=TableReportState.COLLECTING,
    )
    merged_hash = models.CharField(_("content hash"), max_length=64, blank=True)
    merged_blob = models.BinaryField(_("merged rows"), default=bytes)
    # Key conflicts the responsible unit settled by keeping one unit's row:
    # {conflict key ("a / b" as MergeConflict.what): unit code kept}. Set only by review.workflow.
    resolutions = models.JSONField(_("conflicts settled"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("table report")
        verbose_name_plural = _("table reports")

    def __str__(self) -> str:
        return str(self.assignment.table)

    @property
    def is_locked(self) -> bool:
        return self.state in (TableReportState.APPROVED, TableReportState.UPLOADED)


class UploadJob(models.Model):
    """A contribution upload being read and validated in the background (large files).

    The file is stored first, so nothing is lost if the worker stops; the job ends ``done`` with
    its version, or ``failed`` with a reason the uploader can act on. Never left running: a job
    that has not moved for ``CAIJI_UPLOAD_JOB_STALE_SECONDS`` is shown as failed and may be
    retried.
    """

    class State(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("upload job state", "Waiting")
        RUNNING = "running", pgettext_lazy("upload job state", "Checking")
        DONE = "done", pgettext_lazy("upload job state", "Done")
        FAILED = "failed", pgettext_lazy("upload job state", "Failed")

    contribution = models.ForeignKey(
        Contribution, on_delete=models.CASCADE, related_name="upload_jobs"
    )
    filename = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    file = models.FileField(upload_to="jobs/%Y/%m", max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    stage = models.CharField(_("what it is doing"), max_length=200, blank=True)
    message = models.TextField(_("message"), blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    version = models.ForeignKey(
        Version, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("upload job")
        verbose_name_plural = _("upload jobs")

    def __str__(self) -> str:
        return f"{self.contribution} {self.filename} ({self.state})"


def announcement_path(instance: AnnouncementAttachment, filename: str) -> str:
    return f"announcements/{instance.uploaded_at:%Y/%m}/{instance.sha256}"


class Announcement(models.Model):
    """A notice of the office (通知公告): the work plan, the 分工表, training material; to all
    units or chosen ones. Each unit's collector and head confirm they have read it."""

    cycle = models.ForeignKey(
        Cycle, on_delete=models.PROTECT, null=True, blank=True, related_name="announcements"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    all_units = models.BooleanField(_("to every unit"), default=True)
    units = models.ManyToManyField(
        "accounts.Unit", verbose_name=_("to these units"), blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        ordering = ["-published_at", "-created_at", "-id"]
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")

    def __str__(self) -> str:
        return self.title


class AnnouncementAttachment(KeptAsItCame, models.Model):
    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, related_name="attachments"
    )
    filename = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    file = models.FileField(upload_to=announcement_path, max_length=300)
    uploaded_at = models.DateTimeField(_("uploaded"))

    class Meta:
        ordering = ["announcement", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename

    immutable_message = "An attachment is kept as it came: add a new one."


class AnnouncementReceipt(models.Model):
    """One person's confirmation that they have read an announcement (for their unit)."""

    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, related_name="receipts"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    read_at = models.DateTimeField(_("read"), auto_now_add=True)

    class Meta:
        ordering = ["announcement", "unit__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["announcement", "user", "unit"], name="receipt_unique_reader"
            )
        ]
        verbose_name = _("read confirmation")
        verbose_name_plural = _("read confirmations")

    def __str__(self) -> str:
        return f"{self.announcement} {self.user}"


class CrossCheckResult(models.Model):
    """The latest cross-table check of a table report (collection/services/crosscheck.py):
    recomputed when the table's data or a table it reads changes, and at the collection group's
    check. ``findings_blob`` holds the findings (packed like an upload's), ``not_checked`` the
    rules whose other tables have no data yet."""

    report = models.OneToOneField(TableReport, on_delete=models.CASCADE, related_name="crosscheck")
    computed_at = models.DateTimeField(_("checked"))
    error_count = models.PositiveIntegerField(default=0)
    explain_count = models.PositiveIntegerField(default=0)
    findings_blob = models.BinaryField(_("findings"), default=bytes)
    not_checked = models.JSONField(default=list, blank=True)
    sources = models.JSONField(default=dict, blank=True)  # {table code: where its data came from}
    stale = models.BooleanField(default=False)  # an input changed since; a recheck is queued

    class Meta:
        verbose_name = _("cross-table check")
        verbose_name_plural = _("cross-table checks")

    def __str__(self) -> str:
        return f"{self.report} ({self.error_count})"


class ExportJob(models.Model):
    """One export package of a cycle (the platform's import files, a manifest, a summary
    workbook and a JSON file per table), built in a Celery task and kept as a file that only the
    office downloads, through a permission-checked view. ``include_unapproved`` packages say so
    in their file name and manifest."""

    class State(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("export job state", "Waiting")
        RUNNING = "running", pgettext_lazy("export job state", "Building")
        DONE = "done", pgettext_lazy("export job state", "Done")
        FAILED = "failed", pgettext_lazy("export job state", "Failed")

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="exports")
    include_unapproved = models.BooleanField(_("includes tables not yet approved"), default=False)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    stage = models.CharField(_("what it is doing"), max_length=200, blank=True)
    message = models.TextField(_("message"), blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(upload_to="exports/%Y/%m", max_length=300, blank=True)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    tables = models.PositiveIntegerField(_("tables"), default=0)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    unapproved = models.JSONField(_("tables not approved"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("export package")
        verbose_name_plural = _("export packages")

    def __str__(self) -> str:
        return f"{self.cycle} {self.filename or self.pk} ({self.state})"


from collection.models_templates import TemplateFile, TemplatePack  # noqa: E402

__all__ = ["TemplateFile", "TemplatePack"]
