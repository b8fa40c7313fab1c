"""The periodic cleanup of stale leases, abandoned and old failed media."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from media_uploads.models import PROCESSABLE_STATUSES, MediaAsset, MediaStatus
from media_uploads.selectors import MediaNotFound
from media_uploads.services.completion import media_upload_accept
from media_uploads.services.deletion import MediaInUse, media_delete
from media_uploads.services.errors import (
    LeaseExpired,
    StorageUnavailableError,
    UploadMismatch,
)
from media_uploads.services.quota import upload_quota_purge
from media_uploads.services.usage import media_in_use_condition


@dataclass(frozen=True)
class CleanupReport:
    completed: int
    expired: int
    deleted: int


def media_cleanup(*, now: datetime | None = None) -> CleanupReport:
    """Finish or expire stale leases and delete abandoned and old failed media."""
    now = now or timezone.now()
    completed = expired = 0
    stale_leases = MediaAsset.objects.filter(
        status=MediaStatus.AWAITING_UPLOAD, expires_at__lte=now
    )
    for asset in stale_leases[:500]:
        # Uploaded but never completed: complete it now; nothing stored: expire it.
        try:
            result = media_upload_accept(asset, now=now)
        except LeaseExpired:
            # Counted only if this run expired it, not an overlapping one.
            expired += asset.status == MediaStatus.EXPIRED
            continue
        except (UploadMismatch, StorageUnavailableError, MediaNotFound):
            continue
        completed += result.status != MediaStatus.AWAITING_UPLOAD
    unattached_before = now - timedelta(
        seconds=settings.MEDIA_UNATTACHED_MAX_AGE_SECONDS
    )
    failed_before = now - timedelta(seconds=settings.MEDIA_FAILED_MAX_AGE_SECONDS)
    # Detaching sets updated_at, so a day untouched and unattached is a day detached.
    abandoned = (
        MediaAsset.objects.filter(draft__isnull=True, updated_at__lt=unattached_before)
        .exclude(status__in=PROCESSABLE_STATUSES)
        .exclude(media_in_use_condition())
    )
    old_failures = MediaAsset.objects.filter(
        status=MediaStatus.FAILED, updated_at__lt=failed_before
    )
    deleted = 0
    # An unattached failure can be both; dict.fromkeys keeps each id once, in order.
    for asset_id in dict.fromkeys(
        [
            *abandoned.values_list("id", flat=True)[:500],
            *old_failures.values_list("id", flat=True)[:500],
        ]
    ):
        try:
            media_delete(asset_id=asset_id, owner=None)
            deleted += 1
        except (MediaNotFound, MediaInUse):
            continue
    upload_quota_purge(now=now)
    return CleanupReport(completed=completed, expired=expired, deleted=deleted)
