"""One error shape for every API answer that is not a success.

    {"error": {"code": "<snake_case>", "message": "<for a person>", "fields": {...}}}

`fields` appears only on validation errors. Domain code raises `ApiError` (or a
subclass) with its own status and code; DRF's exceptions are translated by
`api_exception_handler`; anything else under /api/ (an unmatched URL, a crash, Django's
CSRF page) is rewritten by `ApiExceptionMiddleware`, so no HTML error page is ever
served under /api/.
"""

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger("poster.api")

API_PREFIX = "/api/"


class ApiError(exceptions.APIException):
    """A domain error with its own status, machine code and extra body members."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "bad_request"
    default_detail = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status_code: int | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail=message or self.default_detail, code=code)
        self.code = code or self.default_code
        if status_code is not None:
            self.status_code = status_code
        self.extra = extra or {}
        self.headers = headers or {}


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


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
    if isinstance(exc, ApiError):
        response = Response(
            error_body(exc.code, str(exc.detail), **exc.extra),
            status=exc.status_code,
            headers=exc.headers,
        )
        return response
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
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return JsonResponse(
            error_body(SERVER_ERROR_CODE, SERVER_ERROR_MESSAGE), status=500
        )
