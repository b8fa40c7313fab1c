"""Staff views of drafts: find one, read it with its revisions and media, restore it.

Drafts are their authors' to edit: every field carries a version stamp that autosave
relies on, so the admin never writes one. The change page is read-only, and the only
repair is giving a deleted draft back (`draft_undelete`).
"""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.safestring import SafeString

from core.admin_kit import (
    ActionsOnlyAdmin,
    ReadOnlyInline,
    apply_to_each,
)
from drafts.models import EDITABLE_FIELDS, Draft, DraftRevision
from drafts.services import draft_undelete
from media_uploads.admin import (
    thumbnail,
    thumbnails_prefetch,
)
from media_uploads.models import HELD_MEDIA_ORDER, MediaAsset


class DeletedFilter(admin.SimpleListFilter):
    title = "deleted"
    parameter_name = "deleted"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(deleted_at__isnull=self.value() == "no")
        return queryset


class DraftRevisionInline(ReadOnlyInline):
    model = DraftRevision
    fields = (
        "number",
        "draft_version",
        "reason",
        "kind",
        "title",
        "body",
        "url",
        "community",
        "created_at",
    )
    readonly_fields = fields
    show_change_link = False


class DraftMediaInline(ReadOnlyInline):
    model = MediaAsset
    show_change_link = True
    fields = ("thumbnail_column", "position", "filename", "status", "failure_code")
    readonly_fields = fields
    ordering = HELD_MEDIA_ORDER
    verbose_name_plural = "media"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related(thumbnails_prefetch())

    @admin.display(description="thumbnail")
    def thumbnail_column(self, asset: MediaAsset) -> SafeString | str:
        return thumbnail(asset)


@admin.register(Draft)
class DraftAdmin(ActionsOnlyAdmin):
    list_display = (
        "__str__",
        "owner",
        "kind",
        "community",
        "version",
        "updated_at",
        "deleted_at",
    )
    list_filter = ("kind", "community", DeletedFilter)
    list_select_related = ("owner",)
    search_fields = ("id__exact", "title", "owner__username")
    ordering = ("-updated_at",)
    actions = ("restore",)
    inlines = (DraftMediaInline, DraftRevisionInline)
    fields = (
        "id",
        "owner",
        *EDITABLE_FIELDS,
        "version",
        "created_at",
        "updated_at",
        "deleted_at",
        "consumed_at",
    )
    readonly_fields = fields

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Deleting is the author's (soft, restorable); purging is the hourly task's.
        return False

    @admin.action(description="Restore deleted drafts", permissions=["change"])
    def restore(self, request: HttpRequest, queryset: QuerySet) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda draft: draft_undelete(draft_id=draft.id),
            log="Restored.",
            done_message="Restored {} drafts.",
            why_left="not deleted.",
        )
