"""The local backend's upload endpoint: what S3 does for presigned POST and PUT.

Clients reach it only by following a lease's instruction. The token in the URL is the
credential. The body is streamed to a temporary file and never accepted past the
leased size, and each rejection carries the meaning (and status) S3 gives it:
403 access_denied / policy_expired, 400 entity_too_large / entity_too_small /
bad_digest. A completed object is never overwritten (409 object_exists).
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from rest_framework.exceptions import AuthenticationFailed

from core.api.authentication import PreparedTokenAuthentication
from core.api.errors import error_body
from media_uploads.models import MediaAsset, MediaStatus
from media_uploads.storage import get_storage
from media_uploads.storage.base import CHUNK_BYTES, original_key_owner_id
from media_uploads.storage.local import (
    LeasedUploadWriter,
    LocalStorage,
    UploadGrant,
    UploadRejected,
    access_denied,
)


class LeasedFileUploadHandler(FileUploadHandler):
    """Feeds the multipart part named `file` straight into a LeasedUploadWriter."""

    chunk_size = CHUNK_BYTES

    def __init__(self, request: HttpRequest, writer: LeasedUploadWriter) -> None:
        super().__init__(request)
        self.writer = writer
        self.has_file = False

    def new_file(self, field_name: str, *args, **kwargs) -> None:
        super().new_file(field_name, *args, **kwargs)
        if field_name != "file" or self.has_file:
            raise SkipFile()
        self.has_file = True

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.writer.write(raw_data)

    def file_complete(self, file_size: int) -> LeasedUploadWriter:
        return self.writer


def _authenticated_user_id(request: HttpRequest) -> str | None:
    try:
        authenticated = PreparedTokenAuthentication().authenticate(request)
    except AuthenticationFailed:
        return None
    return str(authenticated[0].pk) if authenticated else None


@csrf_exempt
def local_upload(request: HttpRequest) -> HttpResponse:
    storage = get_storage()
    if not isinstance(storage, LocalStorage):
        return JsonResponse(
            error_body("not_found", "Nothing is found here."), status=404
        )
    if request.method not in ("POST", "PUT"):
        response = JsonResponse(
            error_body("method_not_allowed", "Upload with POST or PUT."), status=405
        )
        response["Allow"] = "POST, PUT"
        return response
    try:
        grant = storage.upload_grant(request.GET.get("token", ""))
        if not MediaAsset.objects.filter(
            original_key=grant.key, status=MediaStatus.AWAITING_UPLOAD
        ).exists():
            # Deleted, expired or already uploaded: the grant outlived its lease.
            raise access_denied("The upload lease is no longer valid.")
        user_id = _authenticated_user_id(request)
        if user_id is not None and user_id != original_key_owner_id(grant.key):
            # Another user's upload does not exist for this caller.
            return JsonResponse(error_body("not_found", "No such upload."), status=404)
        with storage.upload_writer(grant) as writer:
            if request.method == "PUT":
                _receive_put(storage, grant, writer, request)
            else:
                _receive_post(writer, request)
    except UploadRejected as rejection:
        response = JsonResponse(
            error_body(rejection.code, rejection.message), status=rejection.status
        )
        if rejection.status == 507:  # the disk is full: the same upload may succeed
            response["Retry-After"] = str(settings.OUTAGE_RETRY_AFTER_SECONDS)
        return response
    return HttpResponse(status=204 if request.method == "POST" else 200)


def _receive_put(
    storage: LocalStorage,
    grant: UploadGrant,
    writer: LeasedUploadWriter,
    request: HttpRequest,
) -> None:
    content_type = request.META.get("CONTENT_TYPE", "")
    storage.grant_check(grant, key=grant.key, content_type=content_type)
    if grant.sha256_hex and "x-amz-checksum-sha256" not in request.headers:
        raise UploadRejected(
            "access_denied", "Send the lease's x-amz-checksum-sha256 header.", 403
        )
    declared_length = request.META.get("CONTENT_LENGTH") or ""
    if not declared_length.isdigit():
        raise UploadRejected("missing_content_length", "Send Content-Length.", 411)
    if int(declared_length) > grant.size_bytes:
        raise UploadRejected("entity_too_large", "The body is larger than leased.", 400)
    while chunk := request.read(CHUNK_BYTES):
        writer.write(chunk)
    writer.commit(key=grant.key, content_type=content_type)


def _receive_post(writer: LeasedUploadWriter, request: HttpRequest) -> None:
    if not request.content_type.startswith("multipart/form-data"):
        raise UploadRejected(
            "invalid_request", "Send the fields and file as multipart/form-data.", 400
        )
    handler = LeasedFileUploadHandler(request, writer)
    try:
        fields, files = MultiPartParser(
            request.META, request, [handler], request.encoding
        ).parse()
    except MultiPartParserError as error:
        raise UploadRejected("invalid_request", str(error), 400) from error
    if "file" not in files:
        raise UploadRejected("invalid_request", "The form has no 'file' part.", 400)
    writer.commit(
        key=fields.get("key", ""), content_type=fields.get("Content-Type", "")
    )


@require_safe
def local_public_media(request: HttpRequest, path: str) -> FileResponse:
    """Serve a public derivative (/media/<asset>/<name>); originals are never served."""
    storage = get_storage()
    found = (
        storage.public_file(f"media/{path}")
        if isinstance(storage, LocalStorage)
        else None
    )
    if found is None:
        raise Http404("No such media file.")
    path, content_type = found
    response = FileResponse(path.open("rb"), content_type=content_type)
    response["Cache-Control"] = settings.MEDIA_CACHE_CONTROL
    response["X-Content-Type-Options"] = "nosniff"
    return response
