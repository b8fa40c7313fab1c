"""Upload leases: a server-chosen key and a presigned instruction.

Storage itself rejects anything but the declared bytes under the instruction (see
media_uploads.storage).
"""

import unicodedata
import uuid
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from media_uploads.models import MediaAsset
from media_uploads.services.errors import (
    FileTooLarge,
    TooManyPendingUploads,
    UnsupportedMediaType,
)
from media_uploads.services.quota import upload_quota_charge, upload_quota_refund
from media_uploads.services.statements import (
    media_asset_insert_within_pending_limit,
)
from media_uploads.storage import get_storage
from media_uploads.storage.base import UploadInstruction, original_key


@dataclass(frozen=True)
class Lease:
    asset: MediaAsset
    upload: UploadInstruction


def filename_sanitize(filename: str) -> str:
    """A display name only: no path, no control characters, at most 255 characters."""
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    return name.strip()[:255]


def media_lease_check(*, content_type: str, size_bytes: int) -> None:
    """Refuse a type or size no lease is given for, before anything is locked."""
    if content_type not in settings.MEDIA_ALLOWED_CONTENT_TYPES:
        raise UnsupportedMediaType()
    if not 1 <= size_bytes <= settings.MEDIA_MAX_BYTES:
        raise FileTooLarge(
            f"A file must be 1 to {settings.MEDIA_MAX_BYTES} bytes; "
            f"this one is {size_bytes}."
        )


def media_lease_create(
    *,
    owner: AbstractBaseUser,
    filename: str,
    content_type: str,
    size_bytes: int,
    sha256: str | None = None,
    draft_id: UUID | None = None,
    position: int | None = None,
) -> Lease:
    """Lease an upload under the owner's limit of unfinished leases and daily bytes.

    `draft_id` and `position` say which draft holds the media and where; the caller
    (drafts) has checked and locked that draft in its transaction.
    """
    media_lease_check(content_type=content_type, size_bytes=size_bytes)
    now = timezone.now()
    asset_id = uuid.uuid4()
    asset = MediaAsset(
        id=asset_id,
        owner=owner,
        filename=filename_sanitize(filename),
        content_type=content_type,
        size_bytes=size_bytes,
        sha256=sha256 or "",
        original_key=original_key(owner_id=owner.pk, asset_id=asset_id),
        expires_at=now + timedelta(seconds=settings.MEDIA_LEASE_SECONDS),
        draft_id=draft_id,
        position=position,
        created_at=now,
        updated_at=now,
    )
    upload_quota_charge(owner_id=owner.pk, size_bytes=size_bytes, now=now)
    is_inserted = media_asset_insert_within_pending_limit(
        asset, limit=settings.MEDIA_MAX_PENDING, now=now
    )
    if not is_inserted:
        upload_quota_refund(owner_id=owner.pk, size_bytes=size_bytes, day=now.date())
        raise TooManyPendingUploads(retry_after_seconds=settings.MEDIA_LEASE_SECONDS)
    upload = get_storage().upload_instruction(
        key=asset.original_key,
        content_type=content_type,
        size_bytes=size_bytes,
        sha256_hex=sha256,
        expires_in_seconds=settings.MEDIA_LEASE_SECONDS,
    )
    return Lease(asset=asset, upload=upload)
