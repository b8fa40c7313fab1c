"""Writes to media: leases, completion, attachment, deletion and cleanup.

A lease reserves a server-chosen key and hands the client a presigned instruction
under which storage itself rejects anything but the declared bytes. Completion checks
the stored object and moves the asset forward by conditional updates, so repeated or
concurrent calls enqueue processing once. Deleting an asset records its stored
objects in StoredObjectDeletion in the same transaction; they are deleted after
commit and retried until storage confirms.
"""

import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from rest_framework import status

from config.api_errors import ApiError
from config.celery import app as celery_app
from drafts.models import Draft
from media_uploads.models import MediaAsset, MediaStatus, StoredObjectDeletion
from media_uploads.selectors import MediaNotFound, media_get
from media_uploads.storage import get_storage
from media_uploads.storage.base import StorageUnavailable, UploadInstruction

PROCESS_IMAGE_TASK = "media_uploads.process_image"
DELETE_STORED_OBJECTS_TASK = "media_uploads.delete_stored_objects"


class UnsupportedMediaType(ApiError):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    default_code = "unsupported_media_type"
    default_detail = "Only JPEG, PNG, GIF, WebP, HEIC, HEIF and AVIF images are taken."


class FileTooLarge(ApiError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "file_too_large"


class TooManyPendingUploads(ApiError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "too_many_pending_uploads"
    default_detail = "Finish or cancel some uploads before starting more."


class DraftMediaLimitReached(ApiError):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "draft_media_limit_reached"


class DraftNotUsable(ApiError):
    default_code = "validation_error"


class UploadMissing(ApiError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "upload_missing"
    default_detail = "The file has not been uploaded yet; the lease is still usable."


class UploadMismatch(ApiError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "upload_mismatch"


class LeaseExpired(ApiError):
    status_code = status.HTTP_410_GONE
    default_code = "lease_expired"
    default_detail = "The upload lease expired before the file arrived; lease again."


class StorageUnavailableError(ApiError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "storage_unavailable"
    default_detail = "Storage is not reachable right now; retry shortly."

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": "5"})


@dataclass(frozen=True)
class Lease:
    asset: MediaAsset
    upload: UploadInstruction


def filename_sanitize(filename: str) -> str:
    """A display name only: no path, no control characters, at most 255 characters."""
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    return name.strip()[:255]


def _draft_lock_for_media(*, draft_id: UUID, owner: AbstractBaseUser) -> Draft:
    draft = (
        Draft.objects.select_for_update()
        .filter(id=draft_id, owner=owner, deleted_at__isnull=True)
        .first()
    )
    if draft is None:
        raise DraftNotUsable(
            "No such draft.", extra={"fields": {"draft": ["No such draft."]}}
        )
    return draft


def _draft_media_limit_check(draft: Draft, *, adding: int) -> None:
    attached = MediaAsset.objects.filter(draft=draft).count()
    if attached + adding > settings.MEDIA_MAX_PER_DRAFT:
        raise DraftMediaLimitReached(
            f"A draft holds at most {settings.MEDIA_MAX_PER_DRAFT} media."
        )


def media_lease_create(
    *,
    owner: AbstractBaseUser,
    filename: str,
    content_type: str,
    size_bytes: int,
    sha256: str | None = None,
    draft_id: UUID | None = None,
) -> Lease:
    if content_type not in settings.MEDIA_ALLOWED_CONTENT_TYPES:
        raise UnsupportedMediaType()
    if not 1 <= size_bytes <= settings.MEDIA_MAX_BYTES:
        raise FileTooLarge(
            f"A file must be 1 to {settings.MEDIA_MAX_BYTES} bytes; "
            f"this one is {size_bytes}."
        )
    now = timezone.now()
    asset_id = uuid.uuid4()
    with transaction.atomic():
        # Lock the owner's row so concurrent leases cannot overshoot the limit.
        get_user_model().objects.select_for_update().filter(pk=owner.pk).first()
        pending = MediaAsset.objects.filter(
            owner=owner, status=MediaStatus.AWAITING_UPLOAD, expires_at__gt=now
        ).count()
        if pending >= settings.MEDIA_MAX_PENDING:
            raise TooManyPendingUploads(
                headers={"Retry-After": str(settings.MEDIA_LEASE_SECONDS)}
            )
        draft, position = None, None
        if draft_id is not None:
            draft = _draft_lock_for_media(draft_id=draft_id, owner=owner)
            _draft_media_limit_check(draft, adding=1)
            position = MediaAsset.objects.filter(draft=draft).count()
        asset = MediaAsset.objects.create(
            id=asset_id,
            owner=owner,
            draft=draft,
            position=position,
            filename=filename_sanitize(filename),
            content_type=content_type,
            size_bytes=size_bytes,
            sha256=sha256 or "",
            original_key=f"uploads/{owner.pk}/{asset_id}",
            expires_at=now + timedelta(seconds=settings.MEDIA_LEASE_SECONDS),
        )
    upload = get_storage().upload_instruction(
        key=asset.original_key,
        content_type=content_type,
        size_bytes=size_bytes,
        sha256_hex=sha256,
        expires_in_seconds=settings.MEDIA_LEASE_SECONDS,
    )
    return Lease(asset=asset, upload=upload)


def media_complete(*, asset_id: UUID, owner: AbstractBaseUser) -> MediaAsset:
    """Accept the uploaded object and enqueue processing once; safe to repeat."""
    asset = media_get(asset_id=asset_id, owner=owner)
    if asset.status != MediaStatus.AWAITING_UPLOAD:
        return asset
    try:
        stored = get_storage().head(asset.original_key)
    except StorageUnavailable as error:
        raise StorageUnavailableError() from error
    now = timezone.now()
    if stored is None:
        if asset.expires_at <= now:
            MediaAsset.objects.filter(
                id=asset.id, status=MediaStatus.AWAITING_UPLOAD
            ).update(status=MediaStatus.EXPIRED)
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
            failed = MediaAsset.objects.filter(
                id=asset.id, status=MediaStatus.AWAITING_UPLOAD
            ).update(
                status=MediaStatus.FAILED,
                failure_code="upload_mismatch",
                failure_message=message,
            )
            if failed:
                stored_objects_delete_later([asset.original_key])
        raise UploadMismatch(message)
    with transaction.atomic():
        accepted = MediaAsset.objects.filter(
            id=asset.id, status=MediaStatus.AWAITING_UPLOAD
        ).update(status=MediaStatus.UPLOADED, uploaded_at=now)
        if accepted:
            transaction.on_commit(
                lambda: celery_app.send_task(PROCESS_IMAGE_TASK, args=[str(asset.id)])
            )
    asset.refresh_from_db()
    return asset


@transaction.atomic
def media_update(
    *,
    asset_id: UUID,
    owner: AbstractBaseUser,
    changes: dict,
) -> MediaAsset:
    """Change alt text, caption, and which draft (and where in it) holds the media."""
    asset = (
        MediaAsset.objects.select_for_update().filter(id=asset_id, owner=owner).first()
    )
    if asset is None:
        raise MediaNotFound()
    updated_fields = ["updated_at"]
    for name in ("alt_text", "caption"):
        if name in changes:
            setattr(asset, name, changes[name])
            updated_fields.append(name)
    if "draft" in changes:
        draft_id = changes["draft"]
        if draft_id is None:
            asset.draft, asset.position = None, None
        elif draft_id != asset.draft_id:
            draft = _draft_lock_for_media(draft_id=draft_id, owner=owner)
            _draft_media_limit_check(draft, adding=1)
            asset.draft = draft
            asset.position = MediaAsset.objects.filter(draft=draft).count()
        updated_fields += ["draft", "position"]
    if "position" in changes and asset.draft_id is not None:
        _draft_media_move(asset, to_position=changes["position"])
        updated_fields.append("position")
    asset.save(update_fields=updated_fields)
    return asset


def _draft_media_move(asset: MediaAsset, *, to_position: int) -> None:
    ordered = list(
        MediaAsset.objects.select_for_update()
        .filter(draft_id=asset.draft_id)
        .exclude(id=asset.id)
        .order_by("position", "created_at")
    )
    ordered.insert(min(to_position, len(ordered)), asset)
    for position, item in enumerate(ordered):
        if item.id == asset.id:
            asset.position = position
        elif item.position != position:
            MediaAsset.objects.filter(id=item.id).update(position=position)


def draft_media_set(*, draft: Draft, media_ids: list[UUID]) -> None:
    """Make `media_ids` (the draft owner's) the draft's media in order; detach the rest.

    Call inside the transaction that holds the draft's row lock.
    """
    if len(media_ids) > settings.MEDIA_MAX_PER_DRAFT:
        raise DraftMediaLimitReached(
            f"A draft holds at most {settings.MEDIA_MAX_PER_DRAFT} media."
        )
    owned = set(
        MediaAsset.objects.select_for_update()
        .filter(owner_id=draft.owner_id, id__in=media_ids)
        .values_list("id", flat=True)
    )
    unknown = [str(media_id) for media_id in media_ids if media_id not in owned]
    if unknown:
        raise DraftNotUsable(
            "Some media do not exist.",
            extra={"fields": {"media": [f"No such media: {', '.join(unknown)}."]}},
        )
    MediaAsset.objects.filter(draft=draft).exclude(id__in=media_ids).update(
        draft=None, position=None, updated_at=timezone.now()
    )
    for position, media_id in enumerate(media_ids):
        MediaAsset.objects.filter(id=media_id).update(
            draft=draft, position=position, updated_at=timezone.now()
        )


def media_stored_keys(asset: MediaAsset) -> list[str]:
    """Every object stored for `asset`: its original and its derivatives."""
    return [asset.original_key]


@transaction.atomic
def media_delete(*, asset_id: UUID, owner: AbstractBaseUser | None) -> None:
    """Delete the asset now and its stored objects after commit (owner None: staff)."""
    assets = MediaAsset.objects.select_for_update().filter(id=asset_id)
    if owner is not None:
        assets = assets.filter(owner=owner)
    asset = assets.first()
    if asset is None:
        raise MediaNotFound()
    stored_objects_delete_later(media_stored_keys(asset))
    asset.delete()


def stored_objects_delete_later(keys: list[str]) -> None:
    """Record `keys` for deletion in the current transaction; delete after commit."""
    StoredObjectDeletion.objects.bulk_create(
        [StoredObjectDeletion(key=key) for key in keys], ignore_conflicts=True
    )
    transaction.on_commit(
        lambda: celery_app.send_task(DELETE_STORED_OBJECTS_TASK, args=[keys])
    )


def stored_objects_delete(*, keys: list[str] | None = None) -> list[str]:
    """Delete recorded objects from storage; return the keys that failed.

    A key whose deletion fails keeps its row (with the error and attempt count) for
    the next run, so nothing is ever forgotten.
    """
    pending = StoredObjectDeletion.objects.order_by("created_at")
    if keys is not None:
        pending = pending.filter(key__in=keys)
    storage = get_storage()
    failed = []
    for deletion in pending[:1000]:
        try:
            storage.delete(deletion.key)
        except Exception as error:  # any failure: keep the row, retry later
            StoredObjectDeletion.objects.filter(id=deletion.id).update(
                attempts=F("attempts") + 1, last_error=str(error)[:500]
            )
            failed.append(deletion.key)
        else:
            StoredObjectDeletion.objects.filter(id=deletion.id).delete()
    return failed


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
    ).select_related("owner")
    storage = get_storage()
    for asset in stale_leases[:500]:
        try:
            stored = storage.head(asset.original_key)
        except StorageUnavailable:
            continue
        if stored is None:
            expired += MediaAsset.objects.filter(
                id=asset.id, status=MediaStatus.AWAITING_UPLOAD
            ).update(status=MediaStatus.EXPIRED)
            continue
        # Uploaded, but the client never called complete: complete it now.
        try:
            result = media_complete(asset_id=asset.id, owner=asset.owner)
        except (UploadMismatch, StorageUnavailableError):
            continue
        completed += result.status != MediaStatus.AWAITING_UPLOAD
    unattached_before = now - timedelta(
        seconds=settings.MEDIA_UNATTACHED_MAX_AGE_SECONDS
    )
    failed_before = now - timedelta(seconds=settings.MEDIA_FAILED_MAX_AGE_SECONDS)
    abandoned = MediaAsset.objects.filter(
        draft__isnull=True, created_at__lt=unattached_before
    ).exclude(status__in=(MediaStatus.UPLOADED, MediaStatus.PROCESSING))
    old_failures = MediaAsset.objects.filter(
        status=MediaStatus.FAILED, updated_at__lt=failed_before
    )
    deleted = 0
    for asset_id in list(abandoned.values_list("id", flat=True)[:500]) + list(
        old_failures.values_list("id", flat=True)[:500]
    ):
        try:
            media_delete(asset_id=asset_id, owner=None)
            deleted += 1
        except MediaNotFound:
            continue
    return CleanupReport(completed=completed, expired=expired, deleted=deleted)
