from django.urls import path

from collection import views, views_check

app_name = "collection"

urlpatterns = [
    path("cycles/", views.cycle_list, name="cycle_list"),
    path("cycles/new/", views.cycle_create, name="cycle_create"),
    path("cycles/<int:year>/changes/", views.cycle_changes, name="cycle_changes"),
    path("cycles/<int:year>/templates.zip", views.cycle_templates, name="cycle_templates"),
    path("cycles/<int:year>/supplements/", views.cycle_supplements, name="cycle_supplements"),
    path(
        "cycles/<int:year>/units/<int:unit_id>/templates.zip",
        views.unit_templates,
        name="unit_templates",
    ),
    path("cycles/<int:year>/tables/<str:code>/", views.table_detail, name="table_detail"),
    path(
        "cycles/<int:year>/tables/<str:code>/template.xlsx",
        views.table_template,
        name="table_template",
    ),
    path(
        "cycles/<int:year>/tables/<str:code>/fields/<int:pk>/", views.field_edit, name="field_edit"
    ),
    path("cycles/<int:year>/tables/<str:code>/refresh/", views.table_refresh, name="table_refresh"),
    path("check/", views_check.check, name="check"),
    path("check/<int:pk>/", views_check.check_result, name="check_result"),
    path("check/<int:pk>/annotated.xlsx", views_check.check_annotated, name="check_annotated"),
]

# The task breakdown (分工表). The fixed paths come before <str:code>.
from collection import views_breakdown as vb  # noqa: E402

urlpatterns += [
    path("cycles/<int:year>/breakdown/", vb.breakdown, name="breakdown"),
    path("cycles/<int:year>/breakdown.xlsx", vb.breakdown_export, name="breakdown_export"),
    path("cycles/<int:year>/breakdown/import/", vb.breakdown_import, name="breakdown_import"),
    path(
        "cycles/<int:year>/breakdown/import/confirm/",
        vb.breakdown_import_confirm,
        name="breakdown_import_confirm",
    ),
    path(
        "cycles/<int:year>/breakdown/publish/",
        vb.breakdown_publish_view,
        name="breakdown_publish",
    ),
    path("cycles/<int:year>/breakdown/<str:code>/", vb.breakdown_row, name="breakdown_row"),
]

# Announcements (通知公告).
from collection import views_announcements as va  # noqa: E402

urlpatterns += [
    path("announcements/", va.announcement_list, name="announcement_list"),
    path("announcements/new/", va.announcement_create, name="announcement_create"),
    path("announcements/<int:pk>/", va.announcement_detail, name="announcement_detail"),
    path("announcements/<int:pk>/edit/", va.announcement_edit, name="announcement_edit"),
    path("announcements/<int:pk>/attach/", va.announcement_attach, name="announcement_attach"),
    path(
        "announcements/<int:pk>/files/<int:file_pk>/",
        va.announcement_file,
        name="announcement_file",
    ),
    path(
        "announcements/<int:pk>/files/<int:file_pk>/remove/",
        va.announcement_detach,
        name="announcement_detach",
    ),
    path("announcements/<int:pk>/publish/", va.announcement_publish, name="announcement_publish"),
    path("announcements/<int:pk>/remind/", va.announcement_remind, name="announcement_remind"),
    path("announcements/<int:pk>/read/", va.announcement_read, name="announcement_read"),
]

# The year's template pack (collection/views_templatepack.py).
from collection import views_templatepack as vt  # noqa: E402

urlpatterns += [
    path("cycles/<int:year>/template-pack/", vt.templatepack_upload, name="templatepack_upload"),
    path(
        "cycles/<int:year>/template-pack/<int:pk>/",
        vt.templatepack_report,
        name="templatepack_report",
    ),
    path(
        "cycles/<int:year>/template-pack/<int:pk>/matches/",
        vt.templatepack_match,
        name="templatepack_match",
    ),
    path(
        "cycles/<int:year>/template-pack/<int:pk>/confirm/",
        vt.templatepack_confirm,
        name="templatepack_confirm",
    ),
    path(
        "cycles/<int:year>/template-pack/<int:pk>/discard/",
        vt.templatepack_discard,
        name="templatepack_discard",
    ),
]
