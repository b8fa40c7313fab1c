"""Refuse oversized API request bodies before anything reads them.

DRF's JSON parser reads the whole body into memory before it validates a field, so a
40 MiB body would be read and parsed before its 400. This middleware looks only at
the declared Content-Length: past API_MAX_BODY_BYTES the answer is 413
`request_too_large` and the body is never read. A body without a Content-Length
(chunked) is not read by Django at all, so it cannot get around the cap. The local
storage upload endpoint streams bodies to disk under its own signed size limit and is
left to it.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse

from config.api_errors import API_PREFIX
from core.api.errors import error_body


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX) and request.path != reverse(
            "local-storage-upload"
        ):
            declared = request.META.get("CONTENT_LENGTH") or "0"
            limit = settings.API_MAX_BODY_BYTES
            if not declared.isdigit() or int(declared) > limit:
                response = JsonResponse(
                    error_body(
                        "request_too_large",
                        f"The request body is larger than {limit} bytes.",
                    ),
                    status=413,
                )
                # The unread body stays on the connection: do not reuse it.
                response["Connection"] = "close"
                return response
        return self.get_response(request)
