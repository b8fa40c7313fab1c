"""What media services refuse, each with its machine code (statuses: config)."""

from core.errors import (
    Conflict,
    DomainError,
    TooManyRequests,
    Unavailable,
)


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"
    message = "Only JPEG, PNG, GIF, WebP, HEIC, HEIF and AVIF images are taken."


class FileTooLarge(DomainError):
    code = "file_too_large"


class TooManyPendingUploads(TooManyRequests):
    code = "too_many_pending_uploads"
    message = "Finish or cancel some uploads before starting more."


class UploadMissing(Conflict):
    code = "upload_missing"
    message = "The file has not been uploaded yet; the lease is still usable."


class UploadMismatch(DomainError):
    code = "upload_mismatch"


class LeaseExpired(DomainError):
    code = "lease_expired"
    message = "The upload lease expired before the file arrived; lease again."


class StorageUnavailableError(Unavailable):
    code = "storage_unavailable"
    message = "Storage is not reachable right now; retry shortly."

    def __init__(self) -> None:
        super().__init__(retry_after_seconds=5)


class UploadQuotaExceeded(TooManyRequests):
    code = "upload_quota_exceeded"
    message = "You have used today's upload allowance; try again tomorrow (UTC)."
