import uuid

from django.conf import settings
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models

COMMUNITY_NAME_PATTERN = r"^[A-Za-z0-9_]{3,21}$"
TITLE_MAX_LENGTH = 300
BODY_MAX_LENGTH = 40_000
URL_MAX_LENGTH = 2_000

# Fields a client edits. Each carries a version stamp (`<field>_version`): the draft
# version that last changed it, so a stale autosave can be merged without diffing text.
EDITABLE_FIELDS = (
    "kind",
    "title",
    "body",
    "url",
    "community",
    "is_nsfw",
    "is_spoiler",
    "flair",
)


# Not a column: the ordered ids of the media attached to the draft.
MEDIA_FIELD = "media"


def version_stamp_field(name: str) -> str:
    return f"{name}_version"


class DraftKind(models.TextChoices):
    TEXT = "text", "Text"
    LINK = "link", "Link"
    IMAGE = "image", "Image"
    GALLERY = "gallery", "Gallery"


# What makes a draft editable: neither deleted nor published. The one statement of
# the rule: queries, the partial index and autosave's raw UPDATE all use it.
DRAFT_IS_EDITABLE = models.Q(deleted_at__isnull=True, consumed_at__isnull=True)


class DraftQuerySet(models.QuerySet):
    def editable(self) -> "DraftQuerySet":
        """Drafts their owner can still see and edit: not deleted, not published."""
        return self.filter(DRAFT_IS_EDITABLE)


class Draft(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drafts"
    )
    kind = models.CharField(
        max_length=10, choices=DraftKind.choices, default=DraftKind.TEXT
    )
    title = models.CharField(max_length=TITLE_MAX_LENGTH, blank=True, default="")
    body = models.TextField(
        blank=True, default="", validators=[MaxLengthValidator(BODY_MAX_LENGTH)]
    )
    url = models.CharField(max_length=URL_MAX_LENGTH, blank=True, default="")
    community = models.CharField(
        max_length=21,
        blank=True,
        default="",
        validators=[RegexValidator(COMMUNITY_NAME_PATTERN)],
    )
    is_nsfw = models.BooleanField(default=False)
    is_spoiler = models.BooleanField(default=False)
    # The id of one of the community's flairs. drafts may not import poster, so this
    # is no foreign key: poster checks it at publish and in the guidance check.
    flair = models.PositiveIntegerField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    kind_version = models.PositiveIntegerField(default=1)
    title_version = models.PositiveIntegerField(default=1)
    body_version = models.PositiveIntegerField(default=1)
    url_version = models.PositiveIntegerField(default=1)
    community_version = models.PositiveIntegerField(default=1)
    is_nsfw_version = models.PositiveIntegerField(default=1)
    is_spoiler_version = models.PositiveIntegerField(default=1)
    flair_version = models.PositiveIntegerField(default=1)
    # The order of attached media is edited like a field, with its own stamp.
    media_version = models.PositiveIntegerField(default=1)
    # When, and at which version, the newest autosave snapshot was due.
    revision_taken_at = models.DateTimeField(null=True, blank=True)
    revision_taken_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Set while a post made from this draft exists; given back (None) when that post
    # is cancelled or fails.
    consumed_at = models.DateTimeField(null=True, blank=True)

    objects = DraftQuerySet.as_manager()

    class Meta:
        indexes = [
            # The list sorts a user's live drafts (at most 1,000) by updated_at itself:
            # with updated_at in no index, PostgreSQL writes each autosave as a HOT
            # update, without touching an index.
            models.Index(
                fields=["owner"],
                name="draft_owner_live",
                condition=DRAFT_IS_EDITABLE,
            ),
        ]

    def __str__(self) -> str:
        return self.title or f"Untitled draft {self.id}"


class RevisionReason(models.TextChoices):
    AUTOSAVE = "autosave", "Autosave"
    BEFORE_MERGE = "before_merge", "Before a merge"
    BEFORE_RESTORE = "before_restore", "Before a restore"


class DraftRevision(models.Model):
    """A snapshot of a draft's editable fields at one version."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    draft_version = models.PositiveIntegerField()
    reason = models.CharField(max_length=20, choices=RevisionReason.choices)
    kind = models.CharField(max_length=10, choices=DraftKind.choices)
    title = models.CharField(max_length=TITLE_MAX_LENGTH, blank=True)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=URL_MAX_LENGTH, blank=True)
    community = models.CharField(max_length=21, blank=True)
    is_nsfw = models.BooleanField()
    is_spoiler = models.BooleanField()
    flair = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["draft", "number"], name="draft_revision_number_unique"
            ),
        ]
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"Revision {self.number} of {self.draft_id}"
