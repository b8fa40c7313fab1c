"""PostgreSQL: the lease's limit check and insert as one function, so one round trip.

The function takes the owner's limit lock (a transaction-level advisory lock), then,
with a fresh snapshot as every statement of a volatile PL/pgSQL function has under
READ COMMITTED, inserts the row given as JSON unless the owner already has
`pending_limit` rows in `pending_status` expiring after `pending_after`. Called on
its own it is its own transaction: the lock is held for the insert and nothing else.
The row comes as JSON and is expanded against the table's own type, so a column added
later needs no change here. SQLite (the embedded default) runs the same check as a
plain INSERT ... SELECT (media_uploads.services.statements).
"""

from django.db import migrations

FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION media_asset_insert_within_pending_limit(
    asset jsonb,
    lock_key bigint,
    pending_status text,
    pending_after timestamptz,
    pending_limit integer
) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    inserted integer;
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    INSERT INTO media_uploads_mediaasset
    SELECT * FROM jsonb_populate_record(NULL::media_uploads_mediaasset, asset)
    WHERE (
        SELECT count(*) FROM (
            SELECT 1 FROM media_uploads_mediaasset
            WHERE owner_id = (asset ->> 'owner_id')::bigint
            AND status = pending_status
            AND expires_at > pending_after
            LIMIT pending_limit
        ) AS pending
    ) < pending_limit;
    GET DIAGNOSTICS inserted = ROW_COUNT;
    RETURN inserted = 1;
END
$$;
"""
DROP_SQL = """
DROP FUNCTION IF EXISTS media_asset_insert_within_pending_limit(
    jsonb, bigint, text, timestamptz, integer
);
"""


def function_create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION_SQL)


def function_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("media_uploads", "0005_drop_foreign_key_indexes_covered_by_composites"),
    ]

    operations = [migrations.RunPython(function_create, function_drop)]
