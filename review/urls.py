from django.urls import path

from review import views

app_name = "review"

urlpatterns = [
    path("cycles/<int:year>/", views.cycle_detail, name="cycle_detail"),
    path("cycles/<int:year>/advance/", views.cycle_advance, name="cycle_advance"),
]
