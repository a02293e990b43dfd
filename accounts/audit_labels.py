"""What the audit codes mean, for people: Event.action codes and the states in Event.from_state
and Event.to_state, as labels.

accounts sits below collection and review, so the state names are repeated here (the same
msgids as the models' choices, so they share translations). An unknown code shows as itself:
a new action is never hidden, only unlabelled until it is added here.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    # People, units and roles
    "unit.create": _("Unit created"),
    "unit.update": _("Unit changed"),
    "person.create": _("Person added"),
    "person.update": _("Person changed"),
    "person.password": _("Password set by the office"),
    "person.unlock": _("Account unlocked"),
    "role.assign": _("Role given"),
    "role.revoke": _("Role taken away"),
    "import.units": _("Units imported"),
    "import.people": _("People and roles imported"),
    "outbox.retry": _("Notification sent again"),
    "delegation.create": _("Role handed on (delegation)"),
    "delegation.revoke": _("Delegation ended early"),
    # Announcements (通知公告)
    "announcement.create": _("Announcement drafted"),
    "announcement.update": _("Announcement draft changed"),
    "announcement.attach": _("Attachment added to an announcement"),
    "announcement.detach": _("Attachment removed from an announcement"),
    "announcement.publish": _("Announcement published"),
    "announcement.read": _("Announcement read and confirmed"),
    "announcement.remind": _("Reminder sent for an announcement"),
    # Cycles, specs and the task breakdown
    "cycle.create": _("Cycle created"),
    "cycle.load_catalog": _("Catalog tables loaded"),
    "cycle.refresh_rules": _("Table rules refreshed from the catalog"),
    "cycle.update": _("Cycle dates or settings changed"),
    "cycle.advance": _("Cycle moved to the next stage"),
    "cycle.close": _("Cycle marked as uploaded and closed"),
    "cycle.export_request": _("Export package requested"),
    "cycle.export": _("Export package built"),
    "cycle.export_download": _("Export package downloaded"),
    "cycle.previous_set": _("Previous cycle linked"),
    "cycle.previous_import": _("Last year's package imported"),
    "spec.field_update": _("Column rules changed"),
    "spec.refresh": _("Columns refreshed from the platform template"),
    "assignment.create": _("Task breakdown row added"),
    "assignment.update": _("Task breakdown row changed"),
    "breakdown.copy": _("Task breakdown copied from last year"),
    "breakdown.publish": _("Task breakdown published"),
    # Uploads and versions
    "upload.check": _("File checked"),
    "upload.contribution": _("File uploaded"),
    "upload.online": _("Data filled in online"),
    "upload_job.create": _("Upload queued for checking"),
    "upload_job.retry": _("Upload check retried"),
    "version.create": _("Version saved"),
    "explanation.add": _("Finding explained"),
    "explanation.accept": _("Explanation accepted"),
    "explanation.reject": _("Explanation rejected"),
    # Contributions
    "contribution.submit": _("Submitted for source review"),
    "contribution.approve": _("Approved by a source reviewer"),
    "contribution.sign": _("Signed off by the head and delivered"),
    "contribution.return": _("Returned to drafting"),
    "signature.paper_checked": _("Paper sign-off sheet checked"),
    # Table reports
    "table_report.start_second_review": _("Second review started"),
    "table_report.approve": _("Merged table approved"),
    "table_report.return": _("Merged table returned"),
    "table_report.resolve_conflict": _("Key conflict settled"),
    "table_report.reopen": _("Merged table reopened"),
    "table_report.mark_uploaded": _("Marked as uploaded to the platform"),
    "table_report.import_approved": _("Approved data imported from last year's package"),
}

_CYCLE_STATES = {
    "preparing": _("Preparing"),
    "deployment": _("Deployment"),
    "collecting": _("Collection and merging"),
    "reviewing": _("Review and upload"),
    "done": _("Uploaded (closed)"),
}
_STATES = {
    # Contribution
    "drafting": _("Drafting"),
    "source_review": _("Source review"),
    "head_signoff": _("Head sign-off"),
    "delivered": _("Delivered to the responsible unit"),
    # Table report
    "collecting": _("Collecting"),
    "second_review": _("Second review"),
    "collection_check": _("Collection group check"),
    "college_review": _("College review"),
    "approved": _("Approved"),
    "uploaded": _("Uploaded"),
}


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def state_label(state: str, object_type: str = "") -> str:
    """A state's label; a cycle's stages are told apart from a table report's by the object."""
    if not state:
        return ""
    labels = _CYCLE_STATES if object_type == "collection.cycle" else _STATES
    label = labels.get(state)
    return str(label) if label is not None else state
