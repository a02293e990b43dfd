from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from accounts.models import Event, Unit, User


class ViewOnlyAdmin(admin.ModelAdmin):
    """Units, people and roles change only through the office pages, which audit every change
    and enforce the role rules; the admin shows them read-only."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Unit)
class UnitAdmin(ViewOnlyAdmin):
    list_display = ["code", "name", "kind", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name"]


@admin.register(User)
class UserAdmin(ViewOnlyAdmin, BaseUserAdmin):
    list_display = ["username", "name", "unit", "is_active"]
    list_filter = ["is_active", "unit"]
    search_fields = ["username", "name"]
    ordering = ["username"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("", {"fields": ("name", "unit", "phone", "email", "must_change_password")}),
        ("", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
    )
    add_fieldsets = ((None, {"fields": ("username", "name", "unit", "password1", "password2")}),)


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Read-only: audit events are append-only."""

    list_display = [
        "created_at",
        "actor",
        "action",
        "object_repr",
        "unit",
        "from_state",
        "to_state",
    ]
    list_filter = ["action"]
    search_fields = ["object_repr", "reason", "actor__username", "actor__name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
