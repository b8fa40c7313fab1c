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
from django.db import transaction
from django.utils import timezone

from drafts.models import Draft
from media_uploads.models import MediaAsset
from media_uploads.services.errors import (
    DraftMediaLimitReached,
    DraftNotUsable,
    FileTooLarge,
    TooManyPendingUploads,
    UnsupportedMediaType,
)
from media_uploads.services.statements import (
    media_asset_insert_within_pending_limit,
)
from media_uploads.storage import get_storage
from media_uploads.storage.base import UploadInstruction, original_key
from poster.accounts import user_lock


@dataclass(frozen=True)
class Lease:
    asset: MediaAsset
    upload: UploadInstruction


def filename_sanitize(filename: str) -> str:
    """A display name only: no path, no control characters, at most 255 characters."""
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    return name.strip()[:255]


def draft_lock_for_media(*, draft_id: UUID, owner: AbstractBaseUser) -> Draft:
    draft = (
        Draft.objects.select_for_update()
        .filter(id=draft_id, owner=owner, deleted_at__isnull=True, consumed_at=None)
        .first()
    )
    if draft is None:
        raise DraftNotUsable(
            "No such draft.", extra={"fields": {"draft": ["No such draft."]}}
        )
    return draft


def draft_media_limit_check(draft: Draft, *, adding: int) -> int:
    """How many media the draft holds; raise if `adding` more would pass the limit."""
    attached = MediaAsset.objects.filter(draft=draft).count()
    if attached + adding > settings.MEDIA_MAX_PER_DRAFT:
        raise DraftMediaLimitReached(
            f"A draft holds at most {settings.MEDIA_MAX_PER_DRAFT} media."
        )
    return attached


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
    asset = MediaAsset(
        id=asset_id,
        owner=owner,
        filename=filename_sanitize(filename),
        content_type=content_type,
        size_bytes=size_bytes,
        sha256=sha256 or "",
        original_key=original_key(owner_id=owner.pk, asset_id=asset_id),
        expires_at=now + timedelta(seconds=settings.MEDIA_LEASE_SECONDS),
        created_at=now,
        updated_at=now,
    )
    if draft_id is None:
        is_inserted = media_asset_insert_within_pending_limit(
            asset, limit=settings.MEDIA_MAX_PENDING, now=now
        )
    else:
        with transaction.atomic():
            # The owner's limit lock before the draft's row, the order every path
            # takes them in; the draft's lock keeps its limit of media.
            user_lock(owner)
            asset.draft = draft_lock_for_media(draft_id=draft_id, owner=owner)
            # The next position: after the media the draft already holds.
            asset.position = draft_media_limit_check(asset.draft, adding=1)
            is_inserted = media_asset_insert_within_pending_limit(
                asset, limit=settings.MEDIA_MAX_PENDING, now=now
            )
    if not is_inserted:
        raise TooManyPendingUploads(
            headers={"Retry-After": str(settings.MEDIA_LEASE_SECONDS)}
        )
    upload = get_storage().upload_instruction(
        key=asset.original_key,
        content_type=content_type,
        size_bytes=size_bytes,
        sha256_hex=sha256,
        expires_in_seconds=settings.MEDIA_LEASE_SECONDS,
    )
    return Lease(asset=asset, upload=upload)
