from django.urls import path

from collection import views, views_check

app_name = "collection"

urlpatterns = [
    path("cycles/", views.cycle_list, name="cycle_list"),
    path("cycles/new/", views.cycle_create, name="cycle_create"),
    path("cycles/<int:year>/changes/", views.cycle_changes, name="cycle_changes"),
    path("cycles/<int:year>/templates.zip", views.cycle_templates, name="cycle_templates"),
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
