"""Completion: check the stored object, then queue processing exactly once.

State moves by conditional updates (`... WHERE status = 'awaiting_upload'`), so
repeated or concurrent calls enqueue nothing more.
"""

from datetime import datetime
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from core.events import MEDIA_STATUS, event_record
from media_uploads.models import MediaAsset, MediaStatus
from media_uploads.selectors import MediaNotFound, media_get
from media_uploads.services.deletion import stored_objects_delete_later
from media_uploads.services.errors import (
    LeaseExpired,
    StorageUnavailableError,
    UploadMismatch,
    UploadMissing,
)
from media_uploads.services.queueing import media_dispatch_waiting_after_commit
from media_uploads.storage import get_storage
from media_uploads.storage.base import StorageUnavailable


def media_complete(*, asset_id: UUID, owner: AbstractBaseUser) -> MediaAsset:
    """Accept the uploaded object and enqueue processing once; safe to repeat."""
    return media_upload_accept(media_get(asset_id=asset_id, owner=owner))


def media_upload_accept(
    asset: MediaAsset, *, now: datetime | None = None
) -> MediaAsset:
    """`media_complete` for an asset already loaded: one HEAD of its original.

    `now` decides whether the lease has expired and stamps the row; cleanup passes
    its own clock.
    """
    if asset.status != MediaStatus.AWAITING_UPLOAD:
        return asset
    try:
        stored = get_storage().head(asset.original_key)
    except StorageUnavailable as error:
        raise StorageUnavailableError() from error
    now = now or timezone.now()
    if stored is None:
        if asset.expires_at <= now:
            if MediaAsset.objects.filter(
                id=asset.id, status=MediaStatus.AWAITING_UPLOAD
            ).update(status=MediaStatus.EXPIRED):
                asset.status = MediaStatus.EXPIRED  # so a caller sees this call did it
            raise LeaseExpired()
        raise UploadMissing()
    if (stored.size_bytes, stored.content_type) != (
        asset.size_bytes,
        asset.content_type,
    ):
        message = (
            f"Storage holds {stored.size_bytes} bytes of {stored.content_type}; "
            f"the lease was for {asset.size_bytes} bytes of {asset.content_type}."
        )
        with transaction.atomic():
            # No post waits on an asset still awaiting its upload (publishing refuses
            # it), so this is a plain update rather than processing's media_fail.
            failed = MediaAsset.objects.filter(
                id=asset.id, status=MediaStatus.AWAITING_UPLOAD
            ).update(
                status=MediaStatus.FAILED,
                failure_code="upload_mismatch",
                failure_message=message,
                updated_at=now,
            )
            if failed:
                stored_objects_delete_later([asset.original_key])
                event_record(
                    type=MEDIA_STATUS,
                    owner_id=asset.owner_id,
                    object_id=asset.id,
                    state=MediaStatus.FAILED,
                    data={"code": "upload_mismatch", "message": message},
                )
        raise UploadMismatch(message)
    with transaction.atomic():
        accepted = MediaAsset.objects.filter(
            id=asset.id, status=MediaStatus.AWAITING_UPLOAD
        ).update(status=MediaStatus.UPLOADED, uploaded_at=now, updated_at=now)
        if accepted:
            event_record(
                type=MEDIA_STATUS,
                owner_id=asset.owner_id,
                object_id=asset.id,
                state=MediaStatus.UPLOADED,
            )
            # Into the owner's line: sent now if they have a free turn, else later.
            media_dispatch_waiting_after_commit(asset.owner_id)
    try:
        asset.refresh_from_db()
    except MediaAsset.DoesNotExist as error:  # deleted meanwhile
        raise MediaNotFound() from error
    return asset
