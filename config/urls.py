from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from review.views import home

admin.site.site_header = "caiji"

urlpatterns = [
    path("", home, name="home"),
    path("", include("accounts.urls")),
    path("", include("collection.urls")),
    path("", include("review.urls")),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
]
