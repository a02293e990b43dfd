from django.urls import path

from review import views
from review import views_bulk as vb
from review import views_contribution as vc
from review import views_online as vo
from review import views_report as vr
from review import views_upload as vu

app_name = "review"

urlpatterns = [
    path("cycles/<int:year>/", views.cycle_detail, name="cycle_detail"),
    path("cycles/<int:year>/advance/", views.cycle_advance, name="cycle_advance"),
    path("cycles/<int:year>/close/", views.cycle_close, name="cycle_close"),
]

urlpatterns += [
    path("contributions/<int:pk>/", vc.contribution_detail, name="contribution_detail"),
    path("contributions/<int:pk>/upload/", vu.contribution_upload, name="contribution_upload"),
    path("contributions/<int:pk>/explain/", vc.contribution_explain, name="contribution_explain"),
    path("contributions/<int:pk>/submit/", vc.contribution_submit, name="contribution_submit"),
    path("contributions/<int:pk>/approve/", vc.contribution_approve, name="contribution_approve"),
    path("contributions/<int:pk>/sign/", vc.contribution_sign, name="contribution_sign"),
    path("contributions/<int:pk>/return/", vc.contribution_return, name="contribution_return"),
]

# The sign-off sheet and the verify page its QR code points at.
from review import views_signoff as vs  # noqa: E402

urlpatterns += [
    path("contributions/<int:pk>/signoff/", vs.signoff_sheet, name="signoff_sheet"),
    path("verify/", vs.signoff_verify_start, name="signoff_verify_start"),
    path("verify/<int:pk>/", vs.signoff_verify_form, name="signoff_verify_form"),
    path("verify/<int:pk>/<str:content_hash>/", vs.signoff_verify, name="signoff_verify"),
    path(
        "verify/<int:pk>/<str:content_hash>/paper-checked/",
        vs.signoff_paper_check,
        name="signoff_paper_check",
    ),
]

urlpatterns += [
    path("cycles/<int:year>/reports/", vr.report_list, name="report_list"),
    path("reports/<int:pk>/", vr.report_detail, name="report_detail"),
    path(
        "reports/<int:pk>/start-second-review/",
        vr.report_start_second_review,
        name="report_start_second_review",
    ),
    path("reports/<int:pk>/approve/", vr.report_approve, name="report_approve"),
    path("reports/<int:pk>/return/", vr.report_return, name="report_return"),
    path(
        "reports/<int:pk>/return-to-unit/",
        vr.report_return_to_contribution,
        name="report_return_to_contribution",
    ),
    path("reports/<int:pk>/reopen/", vr.report_reopen, name="report_reopen"),
    path("reports/<int:pk>/uploaded/", vr.report_mark_uploaded, name="report_mark_uploaded"),
    path("reports/<int:pk>/conflicts/keep/", vr.report_conflict_keep, name="report_conflict_keep"),
    path(
        "reports/<int:pk>/conflicts/return/",
        vr.report_conflict_return,
        name="report_conflict_return",
    ),
    path("cycles/<int:year>/bulk-approve/", vb.bulk_list, name="bulk_list"),
    path("cycles/<int:year>/bulk-approve/preview/", vb.bulk_preview, name="bulk_preview"),
    path("cycles/<int:year>/bulk-approve/confirm/", vb.bulk_confirm, name="bulk_confirm"),
]

# Uploads: background checks of large files, and a version's files.
urlpatterns += [
    path("contributions/<int:pk>/jobs/", vu.contribution_jobs, name="contribution_jobs"),
    path(
        "contributions/<int:pk>/jobs/<int:job_pk>/",
        vu.upload_job_status,
        name="upload_job_status",
    ),
    path(
        "contributions/<int:pk>/jobs/<int:job_pk>/retry/",
        vu.upload_job_retry_view,
        name="upload_job_retry",
    ),
    path(
        "contributions/<int:pk>/versions/<int:number>/file/",
        vu.version_file,
        name="version_file",
    ),
    path(
        "contributions/<int:pk>/versions/<int:number>/annotated/",
        vu.version_annotated,
        name="version_annotated",
    ),
]

urlpatterns += [
    path("contributions/<int:pk>/fill/", vo.contribution_fill, name="contribution_fill"),
    path("contributions/<int:pk>/rows/", vo.contribution_rows, name="contribution_rows"),
    path("contributions/<int:pk>/rows/add/", vo.contribution_row_add, name="contribution_row_add"),
    path(
        "contributions/<int:pk>/rows/<int:index>/",
        vo.contribution_row_edit,
        name="contribution_row_edit",
    ),
    path(
        "contributions/<int:pk>/rows/<int:index>/delete/",
        vo.contribution_row_delete,
        name="contribution_row_delete",
    ),
    path("contributions/<int:pk>/compare/", vo.contribution_compare, name="contribution_compare"),
]

# The progress dashboard (views_dashboard.py).
from review import views_dashboard as vd  # noqa: E402

urlpatterns += [
    path("dashboard/", vd.dashboard_latest, name="dashboard_latest"),
    path("cycles/<int:year>/dashboard/", vd.dashboard, name="dashboard"),
    path("cycles/<int:year>/dashboard/export/", vd.dashboard_export, name="dashboard_export"),
]

# Year over year: this year beside last year, explanations judged, last year's package.
from review import views_explanations as ve  # noqa: E402
from review import views_yoy as vy  # noqa: E402

urlpatterns += [
    path("contributions/<int:pk>/last-year/", vy.contribution_yoy, name="contribution_yoy"),
    path("reports/<int:pk>/last-year/", vy.report_yoy, name="report_yoy"),
    path(
        "contributions/<int:pk>/explanations/decide/",
        ve.explanation_decide_view,
        name="explanation_decide",
    ),
    path("cycles/<int:year>/previous-import/", vy.previous_import_view, name="previous_import"),
]

# Cross-table checks (views_crosscheck.py) and completeness (views_completeness.py).
from review import views_completeness as vcm  # noqa: E402
from review import views_crosscheck as vx  # noqa: E402

urlpatterns += [
    path("reports/<int:pk>/crosscheck/", vx.report_crosscheck, name="report_crosscheck"),
    path("reports/<int:pk>/crosscheck/recheck/", vx.report_recheck, name="report_recheck"),
    path(
        "contributions/<int:pk>/crosscheck/",
        vx.contribution_crosscheck,
        name="contribution_crosscheck",
    ),
    path("cycles/<int:year>/completeness/", vcm.completeness, name="completeness"),
    path(
        "cycles/<int:year>/completeness.xlsx",
        vcm.completeness_export,
        name="completeness_export",
    ),
]

# The office's export package for the platform.
from review import views_export as ve  # noqa: E402

urlpatterns += [
    path("cycles/<int:year>/export/", ve.cycle_export, name="cycle_export"),
    path("cycles/<int:year>/export/jobs/", ve.cycle_export_jobs, name="cycle_export_jobs"),
    path(
        "cycles/<int:year>/export/<int:pk>/download/",
        ve.cycle_export_download,
        name="cycle_export_download",
    ),
]
