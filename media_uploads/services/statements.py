"""The raw SQL a lease is written with.

`media_asset_insert_within_pending_limit` is the lease's write: it adds the asset only
while its owner has fewer than the limit of unfinished leases, counting at most that
many rows, under the owner's limit lock (`core.locks.user_lock`), so concurrent
leases cannot overshoot. On PostgreSQL that is one call of the function migration
0006 creates: lock, count and insert in one round trip and one short transaction. On
SQLite, whose IMMEDIATE transactions already run one writer at a time, it is one
`INSERT ... SELECT ... WHERE`. Only quoted identifiers are interpolated into SQL;
every value is a parameter.
"""

import json
from datetime import datetime
from functools import cache

from django.db import connection, transaction

from core.locks import user_lock_key
from media_uploads.models import MediaAsset, MediaStatus

FUNCTION_CALL_SQL = (
    "SELECT media_asset_insert_within_pending_limit(%s::jsonb, %s, %s, %s, %s)"
)


@cache
def _insert_within_limit_sql() -> str:
    quote = connection.ops.quote_name
    table = quote(MediaAsset._meta.db_table)
    fields = MediaAsset._meta.concrete_fields
    columns = ", ".join(quote(field.column) for field in fields)
    values = ", ".join("%s" for _ in fields)
    return (
        f"INSERT INTO {table} ({columns}) SELECT {values} "  # noqa: S608
        f"WHERE (SELECT COUNT(*) FROM (SELECT 1 FROM {table} "
        f"WHERE {quote('owner_id')} = %s AND {quote('status')} = %s "
        f"AND {quote('expires_at')} > %s LIMIT %s) AS pending) < %s"
    )


def media_asset_insert_within_pending_limit(
    asset: MediaAsset, *, limit: int, now: datetime
) -> bool:
    """Insert `asset` unless its owner already has `limit` unexpired leases.

    Returns whether it was inserted; afterwards `asset` is a saved instance. The
    values are taken as they stand, without `Field.pre_save`: the caller sets
    `created_at` and `updated_at` (from the same clock as the lease's expiry).
    """
    values = {
        field.column: field.get_db_prep_save(getattr(asset, field.attname), connection)
        for field in MediaAsset._meta.concrete_fields
    }
    pending = [MediaStatus.AWAITING_UPLOAD.value, now, limit]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            row = json.dumps(values, default=str)
            lock_key = user_lock_key(asset.owner_id)
            cursor.execute(FUNCTION_CALL_SQL, [row, lock_key, *pending])
            is_inserted = cursor.fetchone()[0]
        else:
            with transaction.atomic():
                cursor.execute(
                    _insert_within_limit_sql(),
                    [*values.values(), asset.owner_id, *pending, limit],
                )
                is_inserted = cursor.rowcount == 1
    if is_inserted:
        asset._state.adding = False
        asset._state.db = connection.alias
    return is_inserted
