"""`Idempotency-Key` on create-like APIs: run once, replay the answer for repeats.

The key store and its rules live in `core.idempotency`; this wraps an API's work.
"""

from collections.abc import Callable

from rest_framework.request import Request
from rest_framework.response import Response

from core.idempotency import (
    StoredResponse,
    idempotency_key_check,
    idempotency_key_claim,
    idempotency_key_complete,
    idempotency_key_release,
    request_fingerprint,
)

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADERS = ("ETag", "Location")


def respond_idempotently(
    request: Request, *, scope: str, produce: Callable[[], Response]
) -> Response:
    """Run `produce` once per Idempotency-Key; replay its response for repeats."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return produce()
    idempotency_key_check(key)
    fingerprint = request_fingerprint(
        method=request.method, path=request.path, body=request.data
    )
    stored = idempotency_key_claim(
        owner=request.user, scope=scope, key=key, fingerprint=fingerprint
    )
    if stored is not None:
        return Response(
            stored.body,
            status=stored.response_status,
            headers={**stored.headers, "Idempotent-Replayed": "true"},
        )
    try:
        response = produce()
    except BaseException:
        idempotency_key_release(owner=request.user, scope=scope, key=key)
        raise
    if response.status_code >= 400:
        idempotency_key_release(owner=request.user, scope=scope, key=key)
        return response
    idempotency_key_complete(
        owner=request.user,
        scope=scope,
        key=key,
        response=StoredResponse(
            response_status=response.status_code,
            body=response.data,
            headers={h: response[h] for h in REPLAYED_HEADERS if h in response},
        ),
    )
    return response
