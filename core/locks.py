"""Per-user limit locks: serialize the writes that count against a user's limits."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection

# Advisory-lock keys are one 64-bit space per database: per-user limit locks take
# the keys 2**32 + user id, out of the way of any other use.
USER_LIMIT_LOCK_BASE = 1 << 32


def user_lock(user: AbstractBaseUser) -> None:
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


# Per-user dispatch locks take the keys 2 * 2**32 + user id.
USER_DISPATCH_LOCK_BASE = 2 << 32


def user_dispatch_lock(user_id: int) -> None:
    """Serialize, until the transaction ends, the dispatchers of one user's uploads
    (see media_uploads.services.queueing); a no-op on SQLite, as `user_lock`."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s)", [USER_DISPATCH_LOCK_BASE + user_id]
        )
