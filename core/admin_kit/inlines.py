"""Read-only building blocks: an inline that only shows rows, and an admin whose rows
change only through its actions."""

from django.contrib import admin
from django.http import HttpRequest


class ActionsOnlyAdmin(admin.ModelAdmin):
    """No add page and a read-only change page; the change permission still gates
    the actions, which are the only way rows change (through the services)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return obj is None and super().has_change_permission(request)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
