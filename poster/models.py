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

GUIDELINES_MAX_LENGTH = 10_000
FLAIR_TEXT_MAX_LENGTH = 64
RULE_MESSAGE_MAX_LENGTH = 300
RULE_VALUE_MAX_LENGTH = 10_000


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
    guidelines_text = models.TextField(
        blank=True,
        max_length=GUIDELINES_MAX_LENGTH,
        help_text="Shown in the composer above the fields.",
    )
    # Bumped by every change to the community, its rules or its flairs: the compiled
    # rules each process caches are keyed by it (poster.guidance).
    rules_version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "communities"

    def __str__(self) -> str:
        return self.name


HEX_COLOR = RegexValidator(r"^#[0-9a-fA-F]{6}$", "A colour is #rrggbb.")


class CommunityFlair(models.Model):
    """A label a post carries in its community; mod-only ones are for moderators."""

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="flairs"
    )
    text = models.CharField(max_length=FLAIR_TEXT_MAX_LENGTH)
    text_color = models.CharField(
        max_length=7, default="#000000", validators=[HEX_COLOR]
    )
    background_color = models.CharField(
        max_length=7, default="#dadada", validators=[HEX_COLOR]
    )
    is_mod_only = models.BooleanField(
        default=False, help_text="Only moderators may give a post this flair."
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "text"], name="community_flair_text_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.text


class RuleKind(models.TextChoices):
    """What a rule checks; the field it reads is in RULE_FIELDS."""

    TITLE_MIN_LENGTH = "title_min_length", "Title: minimum length"
    TITLE_MAX_LENGTH = "title_max_length", "Title: maximum length"
    TITLE_REQUIRED_PHRASES = "title_required_phrases", "Title: one of these phrases"
    TITLE_BANNED_PHRASES = "title_banned_phrases", "Title: none of these phrases"
    TITLE_REGEX = "title_regex", "Title: must match a regular expression"
    BODY_POLICY = "body_policy", "Body: required, optional or not allowed"
    BODY_MIN_LENGTH = "body_min_length", "Body: minimum length"
    BODY_MAX_LENGTH = "body_max_length", "Body: maximum length"
    BODY_REQUIRED_PHRASES = "body_required_phrases", "Body: one of these phrases"
    BODY_BANNED_PHRASES = "body_banned_phrases", "Body: none of these phrases"
    BODY_REGEX = "body_regex", "Body: must match a regular expression"
    LINK_DOMAIN_ALLOWLIST = "link_domain_allowlist", "Link: only these domains"
    LINK_DOMAIN_DENYLIST = "link_domain_denylist", "Link: not these domains"
    FLAIR_REQUIRED = "flair_required", "Flair: required"
    MEDIA_REQUIRED = "media_required", "Media: at least one"
    MEDIA_MIN_COUNT = "media_min_count", "Media: minimum count"
    MEDIA_MAX_COUNT = "media_max_count", "Media: maximum count"


RULE_FIELDS = {
    RuleKind.TITLE_MIN_LENGTH: "title",
    RuleKind.TITLE_MAX_LENGTH: "title",
    RuleKind.TITLE_REQUIRED_PHRASES: "title",
    RuleKind.TITLE_BANNED_PHRASES: "title",
    RuleKind.TITLE_REGEX: "title",
    RuleKind.BODY_POLICY: "body",
    RuleKind.BODY_MIN_LENGTH: "body",
    RuleKind.BODY_MAX_LENGTH: "body",
    RuleKind.BODY_REQUIRED_PHRASES: "body",
    RuleKind.BODY_BANNED_PHRASES: "body",
    RuleKind.BODY_REGEX: "body",
    RuleKind.LINK_DOMAIN_ALLOWLIST: "url",
    RuleKind.LINK_DOMAIN_DENYLIST: "url",
    RuleKind.FLAIR_REQUIRED: "flair",
    RuleKind.MEDIA_REQUIRED: "media",
    RuleKind.MEDIA_MIN_COUNT: "media",
    RuleKind.MEDIA_MAX_COUNT: "media",
}


class BodyPolicy(models.TextChoices):
    REQUIRED = "required", "Required"
    OPTIONAL = "optional", "Optional"
    NOT_ALLOWED = "not_allowed", "Not allowed"


class RuleSeverity(models.TextChoices):
    BLOCK = "block", "Blocks publishing"
    WARN = "warn", "Only warns"


class CommunityRule(models.Model):
    """One requirement of a community's posts, checked while the author types.

    `value` is read by kind: a number (lengths, counts), phrases or domains one per
    line, a regular expression (RE2 syntax), a body policy, or nothing (flair and
    media required). poster.guidance validates it when staff save it.
    """

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="rules"
    )
    kind = models.CharField(max_length=30, choices=RuleKind.choices)
    value = models.TextField(blank=True, max_length=RULE_VALUE_MAX_LENGTH)
    severity = models.CharField(
        max_length=5, choices=RuleSeverity.choices, default=RuleSeverity.BLOCK
    )
    message = models.CharField(
        max_length=RULE_MESSAGE_MAX_LENGTH,
        help_text="What the author reads when the draft breaks this rule.",
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.severity})"

    @property
    def field(self) -> str:
        return RULE_FIELDS[self.kind]


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
    flair = models.ForeignKey(
        CommunityFlair,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The flair's text when published: the post keeps it if staff delete the flair.
    flair_text = models.CharField(max_length=FLAIR_TEXT_MAX_LENGTH, blank=True)
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
