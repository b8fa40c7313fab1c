import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from drafts.models import (
    COMMUNITY_NAME_PATTERN,
    TITLE_MAX_LENGTH,
    URL_MAX_LENGTH,
    DraftKind,
)
from media_uploads.models import ALT_TEXT_MAX_LENGTH, CAPTION_MAX_LENGTH


class Community(models.Model):
    name = models.CharField(
        max_length=21,
        unique=True,
        validators=[RegexValidator(COMMUNITY_NAME_PATTERN)],
    )
    title = models.CharField(max_length=100)
    # Post kinds (drafts.models.DraftKind values) the community accepts.
    allowed_kinds = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "communities"

    def __str__(self) -> str:
        return self.name


class PostStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    PENDING_MEDIA = "pending_media", "Waiting for media"
    PUBLISHED = "published", "Published"
    FAILED = "failed", "Failed"
    REMOVED = "removed", "Removed"


# Statuses in which a post shows (or is about to show) its media.
LIVE_POST_STATUSES = (
    PostStatus.SCHEDULED,
    PostStatus.PENDING_MEDIA,
    PostStatus.PUBLISHED,
)


class Post(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts"
    )
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="posts"
    )
    kind = models.CharField(max_length=10, choices=DraftKind.choices)
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=URL_MAX_LENGTH, blank=True)
    is_nsfw = models.BooleanField(default=False)
    is_spoiler = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=PostStatus.choices, db_index=True)
    publish_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # At most one post per draft; released (None) when the post fails, so the
    # draft can be fixed and published again.
    source_draft = models.OneToOneField(
        "drafts.Draft",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="post",
    )
    failure_code = models.CharField(max_length=50, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_reason = models.CharField(max_length=500, blank=True)
    # An author's deletion frees the post's media for the author to delete; a staff
    # removal keeps them (restore, evidence).
    is_deleted_by_author = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["community", "-created_at"], name="post_community_recent"
            ),
            models.Index(fields=["author", "-created_at"], name="post_author_recent"),
            models.Index(fields=["status", "publish_at"], name="post_status_due"),
        ]

    def __str__(self) -> str:
        return self.title


class PostMedia(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="media")
    # Media a live post shows cannot be deleted (media_delete refuses); media of a
    # failed post can, and leave it with this row.
    asset = models.ForeignKey(
        "media_uploads.MediaAsset", on_delete=models.CASCADE, related_name="post_uses"
    )
    position = models.PositiveSmallIntegerField()
    caption = models.CharField(max_length=CAPTION_MAX_LENGTH, blank=True)
    alt_text = models.CharField(max_length=ALT_TEXT_MAX_LENGTH, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "position"], name="post_media_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.post_id} #{self.position}"
