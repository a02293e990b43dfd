from django.urls import path

from review import views
from review import views_contribution as vc

app_name = "review"

urlpatterns = [
    path("cycles/<int:year>/", views.cycle_detail, name="cycle_detail"),
    path("cycles/<int:year>/advance/", views.cycle_advance, name="cycle_advance"),
]

urlpatterns += [
    path("contributions/<int:pk>/", vc.contribution_detail, name="contribution_detail"),
    path("contributions/<int:pk>/upload/", vc.contribution_upload, name="contribution_upload"),
    path("contributions/<int:pk>/explain/", vc.contribution_explain, name="contribution_explain"),
    path("contributions/<int:pk>/submit/", vc.contribution_submit, name="contribution_submit"),
    path("contributions/<int:pk>/approve/", vc.contribution_approve, name="contribution_approve"),
    path("contributions/<int:pk>/sign/", vc.contribution_sign, name="contribution_sign"),
    path("contributions/<int:pk>/return/", vc.contribution_return, name="contribution_return"),
]
