"""Writes to media: leases, completion, attachment, processing, deletion, cleanup."""

from media_uploads.services.attachment import draft_media_set, media_update
from media_uploads.services.cleanup import CleanupReport, media_cleanup
from media_uploads.services.completion import PROCESS_IMAGE_TASK, media_complete
from media_uploads.services.deletion import (
    media_delete,
    media_stored_keys,
    stored_objects_delete,
    stored_objects_delete_later,
)
from media_uploads.services.errors import (
    DraftMediaLimitReached,
    DraftNotUsable,
    FileTooLarge,
    LeaseExpired,
    StorageUnavailableError,
    TooManyPendingUploads,
    UnsupportedMediaType,
    UploadMismatch,
    UploadMissing,
)
from media_uploads.services.leases import Lease, filename_sanitize, media_lease_create

__all__ = (
    "PROCESS_IMAGE_TASK",
    "CleanupReport",
    "DraftMediaLimitReached",
    "DraftNotUsable",
    "FileTooLarge",
    "Lease",
    "LeaseExpired",
    "StorageUnavailableError",
    "TooManyPendingUploads",
    "UnsupportedMediaType",
    "UploadMismatch",
    "UploadMissing",
    "draft_media_set",
    "filename_sanitize",
    "media_cleanup",
    "media_complete",
    "media_delete",
    "media_lease_create",
    "media_stored_keys",
    "media_update",
    "stored_objects_delete",
    "stored_objects_delete_later",
)
