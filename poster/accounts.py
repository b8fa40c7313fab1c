"""API users: people and tokens for the API, created on demand."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import connection, transaction
from rest_framework.authtoken.models import Token


@dataclass(frozen=True)
class ApiUserCredentials:
    user: AbstractUser
    token: str
    was_created: bool


@transaction.atomic
def api_user_ensure(
    *,
    username: str,
    is_staff: bool = False,
    is_superuser: bool = False,
    password: str | None = None,
) -> ApiUserCredentials:
    """Create the user and its API token if missing; safe to call again and again.

    An existing user keeps its token. A given password is (re)set, so a demo user's
    printed password is always the one that works.
    """
    user_model = get_user_model()
    user, was_created = user_model.objects.get_or_create(username=username)
    changed_fields = []
    if (is_staff or is_superuser) and not user.is_staff:
        user.is_staff = True
        changed_fields.append("is_staff")
    if is_superuser and not user.is_superuser:
        user.is_superuser = True
        changed_fields.append("is_superuser")
    if password is not None and not user.check_password(password):
        user.set_password(password)
        changed_fields.append("password")
    elif was_created:
        user.set_unusable_password()
        changed_fields.append("password")
    if changed_fields:
        user.save(update_fields=changed_fields)
    token, _ = Token.objects.get_or_create(user=user)
    return ApiUserCredentials(user=user, token=token.key, was_created=was_created)


# Advisory-lock keys are one 64-bit space per database: per-user limit locks take
# the keys 2**32 + user id, out of the way of any other use.
USER_LIMIT_LOCK_BASE = 1 << 32


def user_lock(user: AbstractUser) -> None:
    """Serialize, until the transaction ends, the writes that count against per-user
    limits (live drafts, pending uploads).

    On PostgreSQL a transaction-level advisory lock: it writes nothing, unlike a row
    lock on the user, and nothing else waits on it. SQLite (the embedded default)
    runs one write transaction at a time, so it needs none.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [user_lock_key(user.pk)])


def user_lock_key(user_id: int) -> int:
    """The advisory-lock key of `user_lock`, for SQL that takes the lock itself."""
    return USER_LIMIT_LOCK_BASE + user_id
