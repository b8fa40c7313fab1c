"""`Idempotency-Key` for create-like requests (IETF draft, as Stripe does it).

The same key from the same user for the same action within IDEMPOTENCY_KEY_TTL_SECONDS:
- with the same request body, gets the first response again (nothing runs twice);
- with another body, gets 422 `idempotency_key_reused`;
- while the first request still runs, gets 409 `idempotency_request_in_progress`.

The key is claimed in a transaction of its own before the work starts, so a concurrent
request sees the claim at once; a request that fails releases its key so the client can
retry, and a claim left by a process that died is taken over after
IDEMPOTENCY_LOCK_SECONDS.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from config.api_errors import ApiError
from poster.models import IdempotencyKey, IdempotencyKeyState

IDEMPOTENCY_HEADER = "Idempotency-Key"
KEY_MAX_LENGTH = 255
REPLAYED_HEADERS = ("ETag", "Location")


class IdempotencyKeyReused(ApiError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = "This Idempotency-Key was already used with a different request."


class IdempotencyRequestInProgress(ApiError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_request_in_progress"
    default_detail = "A request with this Idempotency-Key is still being processed."


class IdempotencyKeyInvalid(ApiError):
    default_code = "invalid_idempotency_key"
    default_detail = "Idempotency-Key must be 1 to 255 printable ASCII characters."


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: Any
    headers: dict[str, str]


def request_fingerprint(*, method: str, path: str, body: Any) -> str:
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotency_key_claim(
    *, owner: AbstractBaseUser, scope: str, key: str, fingerprint: str
) -> StoredResponse | None:
    """Claim `key` for this request; return the earlier response if there was one."""
    now = timezone.now()
    expired_before = now - timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL_SECONDS)
    # A new key, the usual case, is one INSERT. An expired holder of the key is
    # deleted only when the INSERT meets it, then the claim is tried once more; a
    # holder gone by the time it is read (released, or expired by a concurrent
    # claim) sends us back to the INSERT too, which the live claimant then meets.
    for _attempt in range(3):
        try:
            with transaction.atomic():
                IdempotencyKey.objects.create(
                    owner=owner,
                    scope=scope,
                    key=key,
                    request_fingerprint=fingerprint,
                    state=IdempotencyKeyState.IN_PROGRESS,
                    created_at=now,
                    locked_at=now,
                )
            return None
        except IntegrityError:
            pass
        existing = IdempotencyKey.objects.filter(
            owner=owner, scope=scope, key=key
        ).first()
        if existing is None:  # released or expired away since our INSERT: retry it
            continue
        if existing.created_at >= expired_before:
            return _claim_against(existing, fingerprint=fingerprint, now=now)
        IdempotencyKey.objects.filter(
            pk=existing.pk, created_at__lt=expired_before
        ).delete()
    raise IdempotencyRequestInProgress()


def _claim_against(
    existing: IdempotencyKey, *, fingerprint: str, now: datetime
) -> StoredResponse | None:
    """The answer to a claim that met a live holder of the same key."""
    if existing.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    if existing.state == IdempotencyKeyState.COMPLETED:
        return StoredResponse(
            status_code=existing.response_status,
            body=existing.response_body,
            headers=existing.response_headers,
        )
    abandoned_before = now - timedelta(seconds=settings.IDEMPOTENCY_LOCK_SECONDS)
    was_taken_over = IdempotencyKey.objects.filter(
        pk=existing.pk,
        state=IdempotencyKeyState.IN_PROGRESS,
        locked_at__lt=abandoned_before,
    ).update(locked_at=now)
    if was_taken_over:
        return None
    raise IdempotencyRequestInProgress()


def idempotency_key_complete(
    *, owner: AbstractBaseUser, scope: str, key: str, response: StoredResponse
) -> None:
    IdempotencyKey.objects.filter(owner=owner, scope=scope, key=key).update(
        state=IdempotencyKeyState.COMPLETED,
        response_status=response.status_code,
        response_body=response.body,
        response_headers=response.headers,
    )


def idempotency_key_release(*, owner: AbstractBaseUser, scope: str, key: str) -> None:
    IdempotencyKey.objects.filter(
        owner=owner, scope=scope, key=key, state=IdempotencyKeyState.IN_PROGRESS
    ).delete()


def idempotency_keys_purge(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    expired_before = now - timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL_SECONDS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=expired_before).delete()
    return deleted


def respond_idempotently(
    request: Request, *, scope: str, produce: Callable[[], Response]
) -> Response:
    """Run `produce` once per Idempotency-Key; replay its response for repeats."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return produce()
    if not (0 < len(key) <= KEY_MAX_LENGTH and key.isascii() and key.isprintable()):
        raise IdempotencyKeyInvalid()
    fingerprint = request_fingerprint(
        method=request.method, path=request.path, body=request.data
    )
    stored = idempotency_key_claim(
        owner=request.user, scope=scope, key=key, fingerprint=fingerprint
    )
    if stored is not None:
        return Response(
            stored.body,
            status=stored.status_code,
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
            status_code=response.status_code,
            body=response.data,
            headers={h: response[h] for h in REPLAYED_HEADERS if h in response},
        ),
    )
    return response
