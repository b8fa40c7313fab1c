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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import Conflict, DomainError, InvalidInput
from core.models import IdempotencyKey, IdempotencyKeyState

KEY_MAX_LENGTH = 255


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    message = "This Idempotency-Key was already used with a different request."


class IdempotencyRequestInProgress(Conflict):
    code = "idempotency_request_in_progress"
    message = "A request with this Idempotency-Key is still being processed."


class IdempotencyKeyInvalid(InvalidInput):
    code = "invalid_idempotency_key"
    message = "Idempotency-Key must be 1 to 255 printable ASCII characters."


def idempotency_key_check(key: str) -> None:
    if not (0 < len(key) <= KEY_MAX_LENGTH and key.isascii() and key.isprintable()):
        raise IdempotencyKeyInvalid()


@dataclass(frozen=True)
class StoredResponse:
    response_status: int
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
            response_status=existing.response_status,
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


# What a replay of a response too large to keep carries: enough to find the
# resource (also in the Location and ETag headers), which the client can GET.
SUMMARY_FIELDS = ("id", "status", "version")


def stored_body(body: Any) -> Any:
    """`body` if it fits IDEMPOTENCY_MAX_RESPONSE_BYTES, else its summary, marked
    `"replay_truncated": true`, so a key never holds a large answer for a day."""
    size = len(json.dumps(body, cls=DjangoJSONEncoder).encode())
    if size <= settings.IDEMPOTENCY_MAX_RESPONSE_BYTES:
        return body
    fields = body if isinstance(body, dict) else {}
    summary = {name: fields[name] for name in SUMMARY_FIELDS if name in fields}
    summary = json.loads(json.dumps(summary, cls=DjangoJSONEncoder))
    return {**summary, "replay_truncated": True}


def idempotency_key_complete(
    *, owner: AbstractBaseUser, scope: str, key: str, response: StoredResponse
) -> None:
    IdempotencyKey.objects.filter(owner=owner, scope=scope, key=key).update(
        state=IdempotencyKeyState.COMPLETED,
        response_status=response.response_status,
        response_body=stored_body(response.body),
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
