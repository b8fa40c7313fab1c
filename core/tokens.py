"""API tokens: issued once, stored as a digest, expiring, revocable.

`api_token_issue` returns the only copy of a new key; the database keeps its SHA-256
digest, which is enough to recognise the key and useless to present. A plain SHA-256
(not a slow password hash) is right here: the key is 160 random bits, so there is
nothing to guess, and authentication stays one indexed lookup per request
(`core.api.authentication`).
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from core.models import ApiToken

KEY_BYTES = 20  # 40 hex digits, as DRF's tokens were
PREFIX_LENGTH = 8


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_default_expiry(now: datetime) -> datetime | None:
    """When a token issued `now` expires: API_TOKEN_TTL_DAYS later, or never."""
    days = settings.API_TOKEN_TTL_DAYS
    return now + timedelta(days=days) if days else None


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    key: str  # the only copy: show it once, never store it


# `expires_at` of api_token_issue when the caller does not choose: the TTL setting.
BY_SETTINGS = object()


def api_token_issue(
    *,
    user: AbstractBaseUser,
    name: str = "",
    expires_at: datetime | None | object = BY_SETTINGS,
    now: datetime | None = None,
) -> IssuedToken:
    """A new token for `user`; it expires at `expires_at` (None: never), by default
    API_TOKEN_TTL_DAYS after `now`."""
    now = now or timezone.now()
    if expires_at is BY_SETTINGS:
        expires_at = token_default_expiry(now)
    key = secrets.token_hex(KEY_BYTES)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        digest=token_digest(key),
        prefix=key[:PREFIX_LENGTH],
        created_at=now,
        expires_at=expires_at,
    )
    return IssuedToken(token=token, key=key)


def api_token_revoke(*, token_id: int) -> bool:
    """Revoke a token at once; False if it was already revoked."""
    return bool(
        ApiToken.objects.filter(id=token_id, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    )
