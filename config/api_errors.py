"""One error shape for every API answer that is not a success.

    {"error": {"code": "<snake_case>", "message": "<for a person>", "fields": {...}}}

`fields` appears only on validation errors. Services raise domain errors
(`core.errors.DomainError`), which know no HTTP: `ERROR_STATUSES` below is the one table
that gives each its status. DRF's own exceptions are translated by
`api_exception_handler`; anything else under /api/ (an unmatched URL, a crash, Django's
CSRF page) is rewritten by `ApiExceptionMiddleware`, so no HTML error page is ever
served under /api/.
"""

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.db import InterfaceError as DatabaseInterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from kombu.exceptions import OperationalError as BrokerOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from core import errors as core_errors
from core.api.errors import error_body
from core.api.preconditions import (
    PreconditionFailed,
    PreconditionInvalid,
    PreconditionRequired,
)
from core.errors import DomainError
from core.event_apis import EventsServedElsewhere, LastEventIdInvalid
from core.event_stream import TooManyStreams
from core.idempotency import (
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
    IdempotencyRequestInProgress,
)
from drafts.apis import draft_conflict_answer
from drafts.services import (
    DraftConflict,
    DraftLimitReached,
    DraftNotFound,
    DraftPublished,
)
from drafts.services.media import DraftMediaLimitReached, DraftNotUsable
from media_uploads.selectors import MediaNotFound
from media_uploads.services import (
    FileTooLarge,
    LeaseExpired,
    MediaInUse,
    StorageUnavailableError,
    TooManyPendingUploads,
    UnsupportedMediaType,
    UploadMismatch,
    UploadMissing,
    UploadQuotaExceeded,
)
from poster.selectors import CommunityNotFound
from poster.services import (
    DraftAlreadyPublished,
    PostNotFound,
    PostNotScheduled,
    PublishRejected,
    RequirementsNotMet,
)

logger = logging.getLogger("poster.api")

API_PREFIX = "/api/"

# The HTTP status of each domain error. A subclass not listed takes its nearest
# listed ancestor's (tests check that every domain error resolves).
ERROR_STATUSES: dict[type[DomainError], int] = {
    # The kinds every app's errors derive from.
    core_errors.DomainError: 400,
    core_errors.InvalidInput: 400,
    core_errors.NotFound: 404,
    core_errors.Conflict: 409,
    core_errors.LimitReached: 403,
    core_errors.TooManyRequests: 429,
    core_errors.Unavailable: 503,
    # core
    PreconditionRequired: 428,
    PreconditionInvalid: 400,
    PreconditionFailed: 412,
    IdempotencyKeyInvalid: 400,
    IdempotencyKeyReused: 422,
    IdempotencyRequestInProgress: 409,
    EventsServedElsewhere: 421,
    LastEventIdInvalid: 400,
    TooManyStreams: 429,
    # media_uploads
    MediaNotFound: 404,
    UnsupportedMediaType: 415,
    FileTooLarge: 413,
    TooManyPendingUploads: 429,
    UploadQuotaExceeded: 429,
    UploadMissing: 409,
    UploadMismatch: 422,
    LeaseExpired: 410,
    StorageUnavailableError: 503,
    MediaInUse: 409,
    # drafts
    DraftNotFound: 404,
    DraftPublished: 409,
    DraftLimitReached: 403,
    DraftConflict: 412,
    DraftNotUsable: 422,
    DraftMediaLimitReached: 403,
    # poster
    PostNotFound: 404,
    PostNotScheduled: 409,
    DraftAlreadyPublished: 409,
    PublishRejected: 422,
    RequirementsNotMet: 422,
    CommunityNotFound: 404,
}

# Errors whose answer also carries a representation that their API renders:
# (extra body members, extra headers).
ErrorAnswer = Callable[[Any], tuple[dict[str, Any], dict[str, str]]]
ERROR_ANSWERS: dict[type[DomainError], ErrorAnswer] = {
    DraftConflict: draft_conflict_answer,
}


def error_status(error: DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in ERROR_STATUSES:
            return ERROR_STATUSES[cls]
    raise LookupError(f"{type(error).__name__} is not a DomainError")


def domain_error_response(error: DomainError) -> Response:
    body_extra, headers = dict(error.extra), {}
    answer = ERROR_ANSWERS.get(type(error))
    if answer is not None:
        more_body, more_headers = answer(error)
        body_extra.update(more_body)
        headers.update(more_headers)
    if error.retry_after_seconds is not None:
        headers["Retry-After"] = str(error.retry_after_seconds)
    return Response(
        error_body(error.code, error.message, **body_extra),
        status=error_status(error),
        headers=headers,
    )


def _validation_fields(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return {key: _validation_messages(value) for key, value in detail.items()}
    return {"non_field_errors": _validation_messages(detail)}


def _validation_messages(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {key: _validation_messages(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_validation_messages(item) for item in detail]
    return str(detail)


def _first_message(fields: dict[str, Any]) -> str:
    for name, messages in fields.items():
        while isinstance(messages, list | dict) and messages:
            messages = (
                messages[0]
                if isinstance(messages, list)
                else next(iter(messages.values()))
            )
        if name == "non_field_errors":
            return str(messages)
        return f"{name}: {messages}"
    return "The request is not valid."


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, DomainError):
        return domain_error_response(exc)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _validation_fields(exc.detail)
        response.data = error_body(
            "validation_error", _first_message(fields), fields=fields
        )
        return response
    detail = getattr(exc, "detail", "")
    code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
    if not isinstance(code, str):
        code = getattr(exc, "default_code", "error")
    response.data = error_body(code, str(detail))
    return response


def _status_code_name(status_code: int) -> str:
    try:
        return (
            HTTPStatus(status_code).phrase.lower().replace(" ", "_").replace("-", "_")
        )
    except ValueError:
        return "error"


# A backing service that is down or restarting (the database, Redis as cache or
# broker): the request did no harm by failing, and the same request may succeed once
# the service is back, so the answer is 503 with Retry-After, never a 500.
OUTAGE_ERRORS: tuple[type[Exception], ...] = (
    DatabaseOperationalError,
    DatabaseInterfaceError,
    RedisConnectionError,
    RedisTimeoutError,
    BrokerOperationalError,
)
SERVICE_UNAVAILABLE_CODE = "service_unavailable"
SERVICE_UNAVAILABLE_MESSAGE = (
    "A service poster depends on is briefly unavailable. Retry after the number of "
    "seconds in Retry-After."
)


def outage_response() -> JsonResponse:
    response = JsonResponse(
        error_body(SERVICE_UNAVAILABLE_CODE, SERVICE_UNAVAILABLE_MESSAGE), status=503
    )
    response["Retry-After"] = str(settings.OUTAGE_RETRY_AFTER_SECONDS)
    return response


SERVER_ERROR_CODE = "server_error"
SERVER_ERROR_MESSAGE = "Something went wrong on our side. It has been logged."


class ApiExceptionMiddleware:
    """Render every non-JSON error under /api/ in the common error shape."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith(API_PREFIX)
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            status_code = response.status_code
            messages = {
                404: "Nothing is found at this address.",
                403: "You may not do this.",
                405: f"Method {request.method} is not allowed here.",
                500: SERVER_ERROR_MESSAGE,
            }
            code = _status_code_name(status_code)
            if status_code == 500:  # the same code as an unhandled exception gets
                code = SERVER_ERROR_CODE
            replacement = JsonResponse(
                error_body(
                    code,
                    messages.get(status_code, HTTPStatus(status_code).description),
                ),
                status=status_code,
            )
            for header in ("Retry-After", "Allow", "WWW-Authenticate"):
                if header in response:
                    replacement[header] = response[header]
            return replacement
        return response

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        if not request.path.startswith(API_PREFIX) or isinstance(exception, Http404):
            return None
        if isinstance(exception, OUTAGE_ERRORS):
            logger.warning(
                "backing service unavailable on %s %s: %s: %s",
                request.method,
                request.path,
                type(exception).__name__,
                exception,
            )
            return outage_response()
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return JsonResponse(
            error_body(SERVER_ERROR_CODE, SERVER_ERROR_MESSAGE), status=500
        )
