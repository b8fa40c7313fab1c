"""Staff views of posts and communities; moderation with a recorded reason.

A post changes only through its moderation actions (`post_remove`, `post_restore`),
so the post change page is read-only. Each action asks for a reason and records it:
a removal on the post itself, both in the post's admin history. API tokens are
managed in core's admin (issue, shown once; revoke).
"""

from django import forms
from django.contrib import admin
from django.db.models import CharField, Exists, OuterRef, Prefetch, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from core.admin_kit import (
    ActionsOnlyAdmin,
    ReadOnlyInline,
    apply_to_each,
    reason_or_confirmation,
)
from drafts.models import DraftKind
from media_uploads.admin import (
    thumbnail,
    thumbnails_prefetch,
)
from media_uploads.models import MediaVariant, StoredObjectDeletion
from poster.guidance import (
    MAX_FLAIRS_PER_COMMUNITY,
    MAX_RULES_PER_COMMUNITY,
    RuleValueInvalid,
    community_rules_touch,
    rule_value_parse,
)
from poster.models import (
    Community,
    CommunityFlair,
    CommunityRule,
    Post,
    PostMedia,
    PostStatus,
)
from poster.moderation import post_remove, post_restore

admin.site.site_header = "poster admin"
admin.site.site_title = "poster admin"


class CommunityForm(forms.ModelForm):
    allowed_kinds = forms.MultipleChoiceField(
        choices=DraftKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Kinds of post the community takes.",
    )

    class Meta:
        model = Community
        fields = ("name", "title", "allowed_kinds", "is_active", "guidelines_text")


class CommunityRuleForm(forms.ModelForm):
    """Checks a rule's value as the guidance check will read it (a regex compiles
    on RE2 within its length cap, domains are registrable, numbers are in range)."""

    class Meta:
        model = CommunityRule
        fields = ("position", "kind", "value", "severity", "message")
        widgets = {"value": forms.Textarea(attrs={"rows": 2, "cols": 40})}

    def clean(self) -> dict:
        data = super().clean()
        kind = data.get("kind")
        if kind:
            try:
                rule_value_parse(kind, data.get("value", ""))
            except RuleValueInvalid as error:
                self.add_error("value", str(error))
        return data


class CommunityRuleInline(admin.TabularInline):
    model = CommunityRule
    form = CommunityRuleForm
    extra = 0
    max_num = MAX_RULES_PER_COMMUNITY


class CommunityFlairInline(admin.TabularInline):
    model = CommunityFlair
    fields = ("position", "text", "text_color", "background_color", "is_mod_only")
    extra = 0
    max_num = MAX_FLAIRS_PER_COMMUNITY


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    form = CommunityForm
    list_display = ("name", "title", "allowed_kinds", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "title")
    ordering = ("name",)
    inlines = (CommunityRuleInline, CommunityFlairInline)

    def save_related(self, request: HttpRequest, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # The community, its rules and its flairs are saved: every process's compiled
        # rules are stale now.
        community_rules_touch(community_id=form.instance.id)


def media_still_public() -> Exists:
    """Whether any derivative of the post's media may still be served: a variant row
    remains, or a deletion of one is recorded and storage has not yet confirmed it."""
    with_prefix = PostMedia.objects.filter(post=OuterRef("pk")).annotate(
        public_prefix=Concat(Value("media/"), Cast("asset_id", CharField()), Value("/"))
    )
    return Exists(
        with_prefix.filter(
            Exists(MediaVariant.objects.filter(asset_id=OuterRef("asset_id")))
            | Exists(
                StoredObjectDeletion.objects.filter(
                    key__startswith=OuterRef("public_prefix")
                )
            )
        )
    )


def media_prefetch() -> Prefetch:
    return Prefetch(
        "media",
        queryset=PostMedia.objects.select_related("asset").prefetch_related(
            thumbnails_prefetch("asset__variants")
        ),
    )


class PostMediaInline(ReadOnlyInline):
    model = PostMedia
    verbose_name_plural = "media"
    fields = (
        "thumbnail_column",
        "position",
        "asset",
        "asset_status",
        "caption",
        "alt_text",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("asset")
            .prefetch_related(thumbnails_prefetch("asset__variants"))
        )

    @admin.display(description="thumbnail")
    def thumbnail_column(self, post_media: PostMedia) -> SafeString | str:
        return thumbnail(post_media.asset)

    @admin.display(description="status")
    def asset_status(self, post_media: PostMedia) -> str:
        return post_media.asset.get_status_display()


@admin.register(Post)
class PostAdmin(ActionsOnlyAdmin):
    list_display = (
        "title",
        "media_column",
        "status",
        "media_reachable",
        "community",
        "author",
        "published_at",
        "created_at",
    )
    list_filter = ("status", "community", "kind")
    search_fields = ("id__exact", "title", "author__username")
    ordering = ("-created_at",)
    actions = ("remove", "restore")
    inlines = (PostMediaInline,)
    fields = (
        "id",
        "author",
        "community",
        "kind",
        "title",
        "body",
        "url",
        "is_nsfw",
        "is_spoiler",
        "status",
        "publish_at",
        "published_at",
        "source_draft",
        "failure_code",
        "failure_message",
        "removed_by",
        "removed_at",
        "removed_reason",
        "is_deleted_by_author",
        "media_reachable",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("author", "community")
            .prefetch_related(media_prefetch())
            .annotate(is_media_public=media_still_public())
        )

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # A post leaves by removal, which keeps it for its author and for restore.
        return False

    @admin.display(description="media")
    def media_column(self, post: Post) -> SafeString:
        return format_html_join(
            " ", "{}", ((thumbnail(use.asset),) for use in post.media.all())
        )

    @admin.display(description="removed media reachable", boolean=True)
    def media_reachable(self, post: Post) -> bool | None:
        """For a removed post: True while any of its images can still be fetched
        (the take-down has not been confirmed by storage); blank for other posts."""
        if post.status != PostStatus.REMOVED:
            return None
        return post.is_media_public

    @admin.action(description="Remove with a reason", permissions=["change"])
    def remove(
        self, request: HttpRequest, queryset: QuerySet
    ) -> TemplateResponse | None:
        reason = reason_or_confirmation(
            self,
            request,
            queryset,
            action="remove",
            title="Remove posts",
            explanation="These posts will be hidden from everyone but their "
            "authors and staff, and their images deleted from public storage "
            "(the originals are kept for a restore).",
        )
        if isinstance(reason, TemplateResponse):
            return reason
        apply_to_each(
            self,
            request,
            queryset,
            lambda post: post_remove(
                post_id=post.id, removed_by=request.user, reason=reason
            ),
            log=f"Removed: {reason}",
            done_message="Removed {} posts.",
            why_left="already removed.",
        )
        return None

    @admin.action(description="Restore with a reason", permissions=["change"])
    def restore(
        self, request: HttpRequest, queryset: QuerySet
    ) -> TemplateResponse | None:
        reason = reason_or_confirmation(
            self,
            request,
            queryset,
            action="restore",
            title="Restore posts",
            explanation="These removed posts will be published again, at their "
            "first publication time.",
        )
        if isinstance(reason, TemplateResponse):
            return reason
        apply_to_each(
            self,
            request,
            queryset,
            lambda post: post_restore(post_id=post.id),
            log=f"Restored: {reason}",
            done_message="Restored {} posts.",
            why_left="not removed, or never published.",
        )
        return None
