from django.contrib.auth import views as auth_views
from django.urls import path

from accounts.views import audit, auth, inbox, io, office

app_name = "accounts"

urlpatterns = [
    path("accounts/login/", auth.SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth.password_change, name="password_change"),
    path("office/units/", office.unit_list, name="unit_list"),
    path("office/units/new/", office.unit_create, name="unit_create"),
    path("office/units/<int:pk>/", office.unit_detail, name="unit_detail"),
    path("office/units/<int:pk>/edit/", office.unit_edit, name="unit_edit"),
    path("office/units/<int:pk>/roles/assign/", office.unit_role_assign, name="unit_role_assign"),
    path("office/people/", office.person_list, name="person_list"),
    path("office/people/new/", office.person_create, name="person_create"),
    path("office/people/<int:pk>/", office.person_detail, name="person_detail"),
    path(
        "office/people/<int:pk>/roles/assign/", office.person_role_assign, name="person_role_assign"
    ),
    path("office/people/<int:pk>/roles/revoke/", office.role_revoke, name="role_revoke"),
    path(
        "office/people/<int:pk>/password/",
        office.person_password_reset,
        name="person_password_reset",
    ),
    path("office/people/<int:pk>/unlock/", office.person_unlock, name="person_unlock"),
    path("office/roles/", office.role_overview, name="role_overview"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/<int:pk>/read/", inbox.notification_read, name="notification_read"),
    path("inbox/read-all/", inbox.notification_read_all, name="notification_read_all"),
    path("office/outbox/", inbox.outbox_list, name="outbox_list"),
    path("office/outbox/<int:pk>/retry/", inbox.outbox_retry, name="outbox_retry"),
    path("office/import/<str:kind>/", io.sheet_import, name="sheet_import"),
    path("office/import/<str:kind>/confirm/", io.sheet_import_confirm, name="sheet_import_confirm"),
    path("office/export/<str:kind>.xlsx", io.sheet_export, name="sheet_export"),
    path("office/audit/", audit.audit_list, name="audit_list"),
    path("office/audit.xlsx", audit.audit_export, name="audit_export"),
]

# Delegation (委托): one's own, and the office's list.
from accounts.views import delegation  # noqa: E402

urlpatterns += [
    path("accounts/delegations/", delegation.delegation_mine, name="delegation_mine"),
    path("accounts/delegations/<int:pk>/end/", delegation.delegation_end, name="delegation_end"),
    path("office/delegations/", delegation.delegation_office, name="delegation_office"),
]
