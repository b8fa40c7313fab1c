import uuid

from django.conf import settings
from django.db import models

ALT_TEXT_MAX_LENGTH = 1_500
CAPTION_MAX_LENGTH = 180


class MediaStatus(models.TextChoices):
    AWAITING_UPLOAD = "awaiting_upload", "Awaiting upload"
    UPLOADED = "uploaded", "Uploaded"
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


# Uploaded and not yet ready or failed: the worker owns the asset.
PROCESSABLE_STATUSES = (MediaStatus.UPLOADED, MediaStatus.PROCESSING)


# The order a draft shows its media in: by position, then by age.
HELD_MEDIA_ORDER = ("position", "created_at")


class MediaAssetQuerySet(models.QuerySet):
    def held_by(self, draft_id) -> "MediaAssetQuerySet":
        """The media a draft holds, in the order it shows them."""
        return self.filter(draft_id=draft_id).order_by(*HELD_MEDIA_ORDER)


class MediaAsset(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of their own: media_owner_pending and media_draft_position lead with
    # them, and every lease would pay for two more index entries.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="media",
        db_index=False,
    )
    draft = models.ForeignKey(
        "drafts.Draft",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="media",
        db_index=False,
    )
    position = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(
        max_length=20,
        choices=MediaStatus.choices,
        default=MediaStatus.AWAITING_UPLOAD,
        db_index=True,
    )
    filename = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=50)
    size_bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, blank=True)
    original_key = models.CharField(max_length=255, unique=True)
    expires_at = models.DateTimeField()
    uploaded_at = models.DateTimeField(null=True, blank=True)
    failure_code = models.CharField(max_length=50, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    alt_text = models.CharField(max_length=ALT_TEXT_MAX_LENGTH, blank=True)
    caption = models.CharField(max_length=CAPTION_MAX_LENGTH, blank=True)
    # Filled by processing.
    format = models.CharField(max_length=10, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    is_animated = models.BooleanField(default=False)
    blurhash = models.CharField(max_length=100, blank=True)
    average_color = models.CharField(max_length=7, blank=True)
    processing_attempts = models.PositiveSmallIntegerField(default=0)
    processing_started_at = models.DateTimeField(null=True, blank=True)
    # The Celery task id that holds the processing claim; its redelivery may resume.
    processing_task_id = models.CharField(max_length=64, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # Set while the post showing it is taken down: no public derivative exists, and
    # nothing may derive one until a restore clears it.
    taken_down_at = models.DateTimeField(null=True, blank=True)
    # Set when the fair dispatcher sent a process_image task for the current
    # `uploaded` state; null: waiting for a turn (MEDIA_MAX_PROCESSING_PER_USER).
    dispatched_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MediaAssetQuerySet.as_manager()

    class Meta:
        indexes = [
            # Counts a user's unfinished leases under the per-user limit.
            models.Index(
                fields=["owner", "status", "expires_at"], name="media_owner_pending"
            ),
            models.Index(fields=["draft", "position"], name="media_draft_position"),
            # Finds a ready twin with the same bytes to reuse its derivatives.
            models.Index(fields=["owner", "sha256"], name="media_owner_sha256"),
        ]

    def __str__(self) -> str:
        return f"{self.filename or 'media'} ({self.status})"

    @property
    def is_processing(self) -> bool:
        return self.status in PROCESSABLE_STATUSES


class MediaVariant(models.Model):
    """One public derivative of an asset, stored at a deterministic key."""

    asset = models.ForeignKey(
        MediaAsset, on_delete=models.CASCADE, related_name="variants"
    )
    name = models.CharField(max_length=20)
    key = models.CharField(max_length=255, unique=True)
    format = models.CharField(max_length=10)
    content_type = models.CharField(max_length=50)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    is_animated = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "name"], name="media_variant_name"
            ),
        ]
        ordering = ["-width", "name"]

    def __str__(self) -> str:
        return self.key


class StoredObjectDeletion(models.Model):
    """A stored object that must be deleted; the row lives until storage confirms.

    Rows are written in the same transaction that deletes the asset pointing at the
    object, so no object is ever left without a row that leads to it.
    """

    key = models.CharField(max_length=255, unique=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key


class UploadQuotaUsage(models.Model):
    """Bytes a user leased on one UTC day, against MEDIA_DAILY_BYTES.

    Charged when a lease is given, whatever becomes of the upload (failed or deleted
    junk counts), by one conditional upsert (services.quota).
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    day = models.DateField()
    used_bytes = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "day"], name="upload_quota_owner_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.day}: {self.used_bytes} B"
