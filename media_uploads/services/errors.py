"""What media services refuse, each with its status and machine code."""

from rest_framework import status

from config.api_errors import ApiError


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
