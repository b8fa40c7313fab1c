"""The daily upload byte budget (MEDIA_DAILY_BYTES per user and UTC day).

A lease is charged its declared size before it is given, by one conditional upsert:
`INSERT ... ON CONFLICT DO UPDATE ... WHERE used + size <= budget RETURNING`, so
concurrent leases can never overshoot and nothing is read before it is written. The
charge stays whatever becomes of the upload: junk that fails processing, or is
deleted, has still cost storage and a worker's time. A lease refused for another
reason after the charge (too many pending) gives its bytes back.
"""

import math
from datetime import date, datetime, timedelta
from functools import cache

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.db.models.functions import Greatest

from media_uploads.models import UploadQuotaUsage
from media_uploads.services.errors import UploadQuotaExceeded


@cache
def _charge_sql() -> str:
    quote = connection.ops.quote_name
    table = quote(UploadQuotaUsage._meta.db_table)
    used = quote("used_bytes")
    return (
        f"INSERT INTO {table} ({quote('owner_id')}, {quote('day')}, {used}) "  # noqa: S608
        f"VALUES (%s, %s, %s) "
        f"ON CONFLICT ({quote('owner_id')}, {quote('day')}) "
        f"DO UPDATE SET {used} = {table}.{used} + excluded.{used} "
        f"WHERE {table}.{used} + excluded.{used} <= %s "
        f"RETURNING {used}"
    )


def seconds_until_next_day(now: datetime) -> int:
    """Seconds until the next UTC day, when a new budget starts (`now` is UTC)."""
    tomorrow = (now + timedelta(days=1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return max(1, math.ceil((tomorrow - now).total_seconds()))


def upload_quota_charge(*, owner_id: int, size_bytes: int, now: datetime) -> None:
    """Charge `size_bytes` to today's budget or raise UploadQuotaExceeded."""
    budget = settings.MEDIA_DAILY_BYTES
    refused = UploadQuotaExceeded(retry_after_seconds=seconds_until_next_day(now))
    if size_bytes > budget:
        raise refused
    with connection.cursor() as cursor:
        cursor.execute(_charge_sql(), [owner_id, now.date(), size_bytes, budget])
        if cursor.fetchone() is None:
            raise refused


def upload_quota_refund(*, owner_id: int, size_bytes: int, day: date) -> None:
    """Give back a charge whose lease was not given after all."""
    UploadQuotaUsage.objects.filter(owner_id=owner_id, day=day).update(
        used_bytes=Greatest(F("used_bytes") - size_bytes, 0)
    )


def upload_quota_remaining(*, owner_id: int, now: datetime) -> int:
    used = (
        UploadQuotaUsage.objects.filter(owner_id=owner_id, day=now.date())
        .values_list("used_bytes", flat=True)
        .first()
    )
    return max(0, settings.MEDIA_DAILY_BYTES - (used or 0))


def upload_quota_purge(*, now: datetime) -> int:
    """Forget the days that can no longer be charged."""
    deleted, _ = UploadQuotaUsage.objects.filter(
        day__lt=now.date() - timedelta(days=1)
    ).delete()
    return deleted
