"""Writes to media: leases, completion, descriptions, processing, deletion, cleanup."""

from media_uploads.services.cleanup import CleanupReport, media_cleanup
from media_uploads.services.completion import media_complete
from media_uploads.services.deletion import (
    MediaInUse,
    media_delete,
    media_stored_keys,
    stored_objects_delete,
    stored_objects_delete_later,
)
from media_uploads.services.descriptions import media_update
from media_uploads.services.errors import (
    FileTooLarge,
    LeaseExpired,
    StorageUnavailableError,
    TooManyPendingUploads,
    UnsupportedMediaType,
    UploadMismatch,
    UploadMissing,
    UploadQuotaExceeded,
)
from media_uploads.services.leases import (
    Lease,
    filename_sanitize,
    media_lease_check,
    media_lease_create,
)
from media_uploads.services.takedown import (
    media_release,
    media_restore,
    media_take_down,
)
from media_uploads.services.usage import media_in_use_condition_register

__all__ = (
    "CleanupReport",
    "FileTooLarge",
    "Lease",
    "LeaseExpired",
    "MediaInUse",
    "StorageUnavailableError",
    "TooManyPendingUploads",
    "UnsupportedMediaType",
    "UploadMismatch",
    "UploadMissing",
    "UploadQuotaExceeded",
    "filename_sanitize",
    "media_cleanup",
    "media_complete",
    "media_delete",
    "media_lease_check",
    "media_lease_create",
    "media_release",
    "media_restore",
    "media_take_down",
    "media_stored_keys",
    "media_in_use_condition_register",
    "media_update",
    "stored_objects_delete",
    "stored_objects_delete_later",
)
