"""Media assets in the admin: thumbnails, every derivative, and the repair actions.

Assets change only through actions that call services (reprocess, fail, delete), so
the change page is read-only: a form save could write stale values over what a worker
wrote meanwhile.
"""

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from core.admin_kit.confirmation import (
    action_confirmation,
    apply_to_each,
    reason_or_confirmation,
)
from core.admin_kit.inlines import ActionsOnlyAdmin, ReadOnlyInline
from media_uploads.admin.thumbnails import (
    PREVIEW_MAX_PX,
    dimensions,
    thumbnail,
    thumbnails_prefetch,
    variant_image,
)
from media_uploads.models import (
    MediaAsset,
    MediaStatus,
    MediaVariant,
    StoredObjectDeletion,
)
from media_uploads.services import media_delete
from media_uploads.services.deletion import MediaInUse
from media_uploads.services.repair import media_fail_by_staff, media_reprocess


class MediaStatusFilter(admin.SimpleListFilter):
    """Statuses with how many media each holds, counted in one query."""

    title = "status"
    parameter_name = "status"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[str, str]]:
        counts = dict(
            MediaAsset.objects.order_by().values_list("status").annotate(Count("id"))
        )
        return [
            (value, f"{label} ({counts.get(value, 0)})")
            for value, label in MediaStatus.choices
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(status=self.value()) if self.value() else queryset


class MediaVariantInline(ReadOnlyInline):
    model = MediaVariant
    verbose_name_plural = "derivatives"
    fields = ("preview", "name", "format", "variant_dimensions", "size", "key")
    readonly_fields = fields

    @admin.display(description="image")
    def preview(self, variant: MediaVariant) -> SafeString:
        return variant_image(variant, max_px=PREVIEW_MAX_PX)

    @admin.display(description="dimensions")
    def variant_dimensions(self, variant: MediaVariant) -> str:
        return dimensions(variant.width, variant.height)

    @admin.display(description="size", ordering="size_bytes")
    def size(self, variant: MediaVariant) -> str:
        return filesizeformat(variant.size_bytes)


@admin.register(MediaAsset)
class MediaAssetAdmin(ActionsOnlyAdmin):
    list_display = (
        "thumbnail_column",
        "display_name",
        "owner",
        "status",
        "size",
        "asset_dimensions",
        "failure_code",
        "processing_attempts",
        "created_at",
    )
    list_display_links = ("display_name",)
    list_filter = (MediaStatusFilter, "failure_code", "content_type")
    search_fields = ("id__exact", "filename", "owner__username", "=sha256")
    ordering = ("-created_at",)
    actions = ("reprocess", "fail_with_reason", "delete_with_stored_objects")
    inlines = (MediaVariantInline,)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "id",
                    "owner",
                    "status",
                    "failure_code",
                    "failure_message",
                    "processing_attempts",
                    "processing_started_at",
                    "processed_at",
                    "draft",
                    "position",
                    "alt_text",
                    "caption",
                    "created_at",
                    "updated_at",
                )
            },
        ),
        (
            "Original",
            {
                "fields": (
                    "filename",
                    "content_type",
                    "size",
                    "sha256",
                    "original_key",
                    "expires_at",
                    "uploaded_at",
                    "format",
                    "asset_dimensions",
                    "is_animated",
                    "blurhash",
                    "average_color_swatch",
                )
            },
        ),
    )
    readonly_fields = tuple(
        name for _, options in fieldsets for name in options["fields"]
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("owner")
            .prefetch_related(thumbnails_prefetch())
        )

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        # Deleting rows alone would orphan stored objects: delete_with_stored_objects.
        actions.pop("delete_selected", None)
        return actions

    def delete_model(self, request: HttpRequest, obj: MediaAsset) -> None:
        media_delete(asset_id=obj.id, owner=None)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context=None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except MediaInUse as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(
                reverse("admin:media_uploads_mediaasset_change", args=[object_id])
            )

    @admin.display(description="thumbnail")
    def thumbnail_column(self, asset: MediaAsset) -> SafeString | str:
        return thumbnail(asset)

    @admin.display(description="media", ordering="filename")
    def display_name(self, asset: MediaAsset) -> str:
        return asset.filename or str(asset.id)

    @admin.display(description="size", ordering="size_bytes")
    def size(self, asset: MediaAsset) -> str:
        return filesizeformat(asset.size_bytes)

    @admin.display(description="dimensions")
    def asset_dimensions(self, asset: MediaAsset) -> str:
        return dimensions(asset.width, asset.height)

    @admin.display(description="average color")
    def average_color_swatch(self, asset: MediaAsset) -> SafeString | str:
        if not asset.average_color:
            return "-"
        return format_html(
            '<span style="display:inline-block;width:1em;height:1em;'
            'background:{};vertical-align:middle"></span> {}',
            asset.average_color,
            asset.average_color,
        )

    @admin.action(description="Reprocess", permissions=["change"])
    def reprocess(self, request: HttpRequest, queryset: QuerySet) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda asset: media_reprocess(asset_id=asset.id),
            log="Sent to processing again.",
            done_message="Sent {} media to processing again.",
            why_left="awaiting upload, expired or processing right now.",
        )

    @admin.action(description="Fail with a reason", permissions=["change"])
    def fail_with_reason(
        self, request: HttpRequest, queryset: QuerySet
    ) -> TemplateResponse | None:
        reason = reason_or_confirmation(
            self,
            request,
            queryset,
            action="fail_with_reason",
            title="Fail media",
            explanation="These media will fail; posts waiting for them fail too.",
        )
        if isinstance(reason, TemplateResponse):
            return reason
        apply_to_each(
            self,
            request,
            queryset,
            lambda asset: media_fail_by_staff(asset_id=asset.id, reason=reason),
            log=f"Failed: {reason}",
            done_message="Failed {} media.",
            why_left="already failed or expired.",
        )
        return None

    @admin.action(description="Delete with stored objects", permissions=["delete"])
    def delete_with_stored_objects(
        self, request: HttpRequest, queryset: QuerySet
    ) -> TemplateResponse | None:
        if "apply" not in request.POST:
            return action_confirmation(
                self,
                request,
                queryset,
                action="delete_with_stored_objects",
                title="Delete media",
                explanation=(
                    "These media, their originals and derivatives will be deleted "
                    "for good. Media a live post shows are kept."
                ),
            )
        deleted, in_use = 0, []
        for asset in queryset:
            try:
                with transaction.atomic():
                    self.log_deletions(request, [asset])
                    media_delete(asset_id=asset.id, owner=None)
            except MediaInUse:
                in_use.append(str(asset))
            else:
                deleted += 1
        self.message_user(request, f"Deleted {deleted} media with their objects.")
        if in_use:
            self.message_user(
                request,
                f"Kept {len(in_use)} that a live post shows: {', '.join(in_use)}. "
                "Remove the post first.",
                messages.ERROR,
            )
        return None


@admin.register(StoredObjectDeletion)
class StoredObjectDeletionAdmin(admin.ModelAdmin):
    """Objects waiting to be deleted from storage; rows that stay show errors."""

    list_display = ("key", "attempts", "last_error", "created_at")
    search_fields = ("key",)
    ordering = ("created_at",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
