"""Processing: turn a private original into public derivatives, exactly once.

`media_process` is what the Celery task `media_uploads.process_image` runs:

1. Claim the asset by a conditional update. Only an `uploaded` asset, a redelivery of
   the task that holds the claim (same task id, after a worker died), or a claim
   older than MEDIA_STUCK_SECONDS can be claimed; anything else returns at once.
   Each claim counts an attempt; past MEDIA_PROCESS_MAX_RETRIES + 1 the asset fails.
2. Download the original to a temporary file, never past its declared size, and
   verify its SHA-256 when one was declared.
3. Reuse the derivatives of a ready asset of the same owner with the same bytes, or
   run the image pipeline (`media_uploads.images`).
4. Store derivatives at deterministic keys (`media/<asset id>/<name>.<ext>`), then in
   one transaction replace the variant rows and mark the asset ready.

Image errors fail the asset with their code and are never retried; storage errors
(`StorageUnavailable`) propagate for the task to retry with backoff.
"""

import hashlib
import logging
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core.events import MEDIA_STATUS, event_record
from media_uploads.images import (
    ImageRejected,
    ProcessedImage,
    Variant,
    process_image,
)
from media_uploads.models import (
    PROCESSABLE_STATUSES,
    MediaAsset,
    MediaStatus,
    MediaVariant,
)
from media_uploads.services.deletion import stored_objects_delete_later
from media_uploads.services.queueing import media_dispatch_waiting_after_commit
from media_uploads.storage import get_storage
from media_uploads.storage.base import ObjectMissing, ObjectTooLarge

logger = logging.getLogger(__name__)

FORMAT_EXTENSIONS = {"webp": "webp", "jpeg": "jpg"}


def media_attempt_limit() -> int:
    return settings.MEDIA_PROCESS_MAX_RETRIES + 1


@dataclass(frozen=True)
class ProcessedMedia:
    sha256: str
    format: str
    width: int
    height: int
    is_animated: bool
    blurhash: str
    average_color: str
    variants: list[MediaVariant]  # stored, not yet saved: no asset set


def stuck_in_processing(now: datetime) -> Q:
    """Processing that began over MEDIA_STUCK_SECONDS ago: its worker is gone."""
    stale_before = now - timedelta(seconds=settings.MEDIA_STUCK_SECONDS)
    return Q(status=MediaStatus.PROCESSING, processing_started_at__lt=stale_before)


def media_process_claim(
    *, asset_id: UUID, task_id: str, now: datetime
) -> MediaAsset | None:
    claimable = (
        Q(status=MediaStatus.UPLOADED)
        | Q(status=MediaStatus.PROCESSING, processing_task_id=task_id)
        | stuck_in_processing(now)
    )
    with transaction.atomic():
        # A taken-down asset must not get public derivatives again until restored.
        claimed = MediaAsset.objects.filter(
            claimable, id=asset_id, taken_down_at__isnull=True
        ).update(
            status=MediaStatus.PROCESSING,
            processing_started_at=now,
            processing_task_id=task_id,
            processing_attempts=F("processing_attempts") + 1,
            updated_at=now,
        )
        if not claimed:
            return None
        asset = MediaAsset.objects.get(id=asset_id)
        event_record(
            type=MEDIA_STATUS,
            owner_id=asset.owner_id,
            object_id=asset.id,
            state=MediaStatus.PROCESSING,
        )
    return asset


def media_fail(
    *,
    asset_id: UUID,
    code: str,
    message: str,
    task_id: str | None = None,
    statuses: tuple[str, ...] = PROCESSABLE_STATUSES,
) -> bool:
    """Fail an asset in one of `statuses` (by default: still being processed); True
    if this call failed it. Records a `media.status` event, so waiting posts settle."""
    assets = MediaAsset.objects.filter(id=asset_id, status__in=statuses)
    if task_id is not None:
        assets = assets.filter(processing_task_id=task_id)
    with transaction.atomic():  # the event commits with the change, or neither
        return _media_fail_update(assets, asset_id=asset_id, code=code, message=message)


def _media_fail_update(assets, *, asset_id: UUID, code: str, message: str) -> bool:
    is_failed = bool(
        assets.update(
            status=MediaStatus.FAILED,
            failure_code=code,
            failure_message=message[:500],
            updated_at=timezone.now(),
        )
    )
    if is_failed:
        owner_id = MediaAsset.objects.values_list("owner_id", flat=True).get(
            id=asset_id
        )
        media_dispatch_waiting_after_commit(owner_id)  # its turn is free
        event_record(
            type=MEDIA_STATUS,
            owner_id=owner_id,
            object_id=asset_id,
            state=MediaStatus.FAILED,
            data={"code": code, "message": message[:500]},
        )
    return is_failed


# Failures whose bytes no later run can use: not an image, a broken one, or not the
# declared file. Their original is deleted with the failure instead of lingering in
# storage for MEDIA_FAILED_MAX_AGE_SECONDS. A file refused for its size stays: staff
# may raise the limit and process it again.
UNUSABLE_BYTES_CODES = ("unsupported_format", "corrupt_image", "checksum_mismatch")


def media_fail_discarding_original(
    asset: MediaAsset, *, code: str, message: str
) -> bool:
    """Fail the asset and delete its uploaded object after commit."""
    with transaction.atomic():
        is_failed = media_fail(asset_id=asset.id, code=code, message=message)
        if is_failed:
            stored_objects_delete_later([asset.original_key])
    return is_failed


def media_fail_out_of_attempts(*, asset_id: UUID) -> bool:
    return media_fail(
        asset_id=asset_id,
        code="processing_timeout",
        message="Processing did not finish after several attempts.",
    )


def media_process(*, asset_id: UUID, task_id: str) -> str:
    """Process the asset if it is this task's to process; return what happened."""
    asset = media_process_claim(asset_id=asset_id, task_id=task_id, now=timezone.now())
    if asset is None:
        return "skipped"
    if asset.processing_attempts > media_attempt_limit():
        media_fail_out_of_attempts(asset_id=asset.id)
        return "failed"
    with tempfile.TemporaryDirectory(prefix="poster-media-") as workdir:
        original = Path(workdir) / "original"
        try:
            sha256 = _download_original(asset, original)
        except ObjectMissing:
            # Gone since completion checked it (deleted by hand or by a bucket rule):
            # no retry brings it back.
            media_fail(
                asset_id=asset.id,
                code="original_missing",
                message="The uploaded file is no longer in storage; upload it again.",
            )
            return "failed"
        except ObjectTooLarge:
            media_fail(
                asset_id=asset.id,
                code="upload_mismatch",
                message="The stored file is larger than the declared size.",
            )
            return "failed"
        if asset.sha256 and sha256 != asset.sha256:
            media_fail_discarding_original(
                asset,
                code="checksum_mismatch",
                message="The stored file does not match its declared SHA-256.",
            )
            return "failed"
        twin = _ready_twin(asset, sha256)
        processed = None
        if twin is not None:
            try:
                processed = _reuse_derivatives(asset, twin, sha256)
            except ObjectMissing:
                # The twin was deleted meanwhile: process the bytes ourselves.
                twin = None
        if processed is None:
            try:
                processed = _derive(asset, original, Path(workdir), sha256)
            except ImageRejected as rejection:
                if rejection.code in UNUSABLE_BYTES_CODES:
                    media_fail_discarding_original(
                        asset, code=rejection.code, message=rejection.message
                    )
                else:
                    media_fail(
                        asset_id=asset.id,
                        code=rejection.code,
                        message=rejection.message,
                    )
                return "failed"
    if not _media_mark_ready(asset, task_id=task_id, processed=processed):
        # Deleted, taken down or taken over meanwhile: unless another run owns the
        # asset, the derivatives stored here must not stay public.
        with transaction.atomic():
            if not MediaAsset.objects.filter(
                id=asset.id, taken_down_at__isnull=True
            ).exists():
                stored_objects_delete_later([v.key for v in processed.variants])
        return "skipped"
    return "reused" if twin is not None else "ready"


class _HashingWriter:
    """Writes to a file and hashes what passes, so the original is read once."""

    def __init__(self, file: BinaryIO) -> None:
        self.file = file
        self.digest = hashlib.sha256()

    def write(self, chunk: bytes) -> int:
        self.digest.update(chunk)
        return self.file.write(chunk)


def _download_original(asset: MediaAsset, destination: Path) -> str:
    with destination.open("wb") as out:
        writer = _HashingWriter(out)
        get_storage().download(asset.original_key, writer, max_bytes=asset.size_bytes)
    return writer.digest.hexdigest()


def _ready_twin(asset: MediaAsset, sha256: str) -> MediaAsset | None:
    return (
        MediaAsset.objects.filter(
            owner_id=asset.owner_id,
            sha256=sha256,
            status=MediaStatus.READY,
            taken_down_at__isnull=True,
        )
        .exclude(id=asset.id)
        .prefetch_related("variants")
        .first()
    )


def variant_key(asset_id: UUID, name: str, format_name: str) -> str:
    return f"media/{asset_id}/{name}.{FORMAT_EXTENSIONS[format_name]}"


def _derive(
    asset: MediaAsset, original: Path, workdir: Path, sha256: str
) -> ProcessedMedia:
    output_dir = workdir / "variants"
    output_dir.mkdir()
    image = process_image(
        original,
        output_dir=output_dir,
        max_pixels=settings.MEDIA_MAX_PIXELS,
        max_frames=settings.MEDIA_MAX_FRAMES,
        max_animation_pixels=settings.MEDIA_MAX_ANIMATION_PIXELS,
    )
    storage = get_storage()
    stored = []
    for variant in image.variants:
        key = variant_key(asset.id, variant.name, variant.format)
        storage.put_file(
            key,
            variant.path,
            content_type=variant.content_type,
            cache_control=settings.MEDIA_CACHE_CONTROL,
        )
        stored.append(_unsaved_variant(variant, key))
    return _processed_media(image, sha256=sha256, variants=stored)


def _reuse_derivatives(
    asset: MediaAsset, twin: MediaAsset, sha256: str
) -> ProcessedMedia:
    """Copy a ready twin's derivatives to this asset's own keys; no decoding."""
    storage = get_storage()
    stored = []
    for variant in twin.variants.all():
        key = variant_key(asset.id, variant.name, variant.format)
        storage.copy(variant.key, key)
        stored.append(_unsaved_variant(variant, key))
    return _processed_media(twin, sha256=sha256, variants=stored)


def _unsaved_variant(variant: Variant | MediaVariant, key: str) -> MediaVariant:
    """The row for a derivative stored at `key`, described by a fresh or an existing
    variant; its asset is set when the run's result is saved."""
    return MediaVariant(
        name=variant.name,
        key=key,
        format=variant.format,
        content_type=variant.content_type,
        width=variant.width,
        height=variant.height,
        size_bytes=variant.size_bytes,
        is_animated=variant.is_animated,
    )


def _processed_media(
    described: ProcessedImage | MediaAsset,
    *,
    sha256: str,
    variants: list[MediaVariant],
) -> ProcessedMedia:
    """What a run produced, described by the pipeline's result or a ready twin."""
    return ProcessedMedia(
        sha256=sha256,
        format=described.format,
        width=described.width,
        height=described.height,
        is_animated=described.is_animated,
        blurhash=described.blurhash,
        average_color=described.average_color,
        variants=variants,
    )


@transaction.atomic
def _media_mark_ready(
    asset: MediaAsset, *, task_id: str, processed: ProcessedMedia
) -> bool:
    held = (
        MediaAsset.objects.select_for_update()
        .filter(
            id=asset.id,
            status=MediaStatus.PROCESSING,
            processing_task_id=task_id,
            taken_down_at__isnull=True,
        )
        .first()
    )
    if held is None:
        return False
    MediaVariant.objects.filter(asset=held).delete()
    for variant in processed.variants:
        variant.asset = held
    MediaVariant.objects.bulk_create(processed.variants)
    now = timezone.now()
    MediaAsset.objects.filter(id=held.id).update(
        status=MediaStatus.READY,
        sha256=processed.sha256,
        format=processed.format,
        width=processed.width,
        height=processed.height,
        is_animated=processed.is_animated,
        blurhash=processed.blurhash,
        average_color=processed.average_color,
        failure_code="",
        failure_message="",
        processed_at=now,
        updated_at=now,
    )
    media_dispatch_waiting_after_commit(held.owner_id)  # its turn is free
    # Posts waiting for this image publish the moment it commits (poster subscribes).
    event_record(
        type=MEDIA_STATUS,
        owner_id=held.owner_id,
        object_id=held.id,
        state=MediaStatus.READY,
        data={
            "width": processed.width,
            "height": processed.height,
            "blurhash": processed.blurhash,
            "variants": [
                {
                    "name": variant.name,
                    "width": variant.width,
                    "height": variant.height,
                    "format": variant.format,
                    "size_bytes": variant.size_bytes,
                    "url": get_storage().public_url(variant.key),
                }
                for variant in processed.variants
            ],
        },
    )
    return True
