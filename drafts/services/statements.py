"""The raw SQL statements autosave is built on.

`draft_update_if_current` is the autosave fast path: one `UPDATE ... RETURNING` that
reads nothing first. `draft_revision_snapshot` copies a draft into its next revision
with one `INSERT ... SELECT`. Only quoted identifiers are interpolated into the SQL;
every value is a parameter.
"""

import json
from datetime import datetime, timedelta
from functools import cache, lru_cache
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction

from core.events import (
    DRAFT_SAVED,
    DomainEvent,
    event_deliver_on_commit,
    event_record,
)
from core.model_rows import model_from_row
from core.models import OutboxEvent
from drafts.models import (
    DRAFT_IS_EDITABLE,
    EDITABLE_FIELDS,
    Draft,
    DraftRevision,
    version_stamp_field,
)
from drafts.services.errors import DraftChanges


def quote_name(name: str) -> str:
    return connection.ops.quote_name(name)


def draft_update_if_current(
    *,
    draft_id: UUID,
    owner: AbstractBaseUser,
    base_version: int,
    changes: DraftChanges,
    now: datetime,
) -> Draft | None:
    """One `UPDATE ... RETURNING` that applies `changes` only at `base_version`.

    When a snapshot is due it also sets `revision_taken_at` to `now` and
    `revision_taken_version` to the new version, so the returned row tells the caller
    whether to take one, without another query. This is the hot path of autosave:
    the SQL for each set of fields is built once per process.
    """
    field_names = tuple(sorted(changes))
    meta = Draft._meta
    params = [
        meta.get_field(name).get_db_prep_save(changes[name], connection)
        for name in field_names
    ]
    now_param = _datetime_param(now)
    due_before = _datetime_param(
        now - timedelta(seconds=settings.DRAFT_REVISION_INTERVAL)
    )
    params += [
        now_param,
        due_before,
        due_before,
        now_param,
        meta.pk.get_db_prep_value(draft_id, connection),
        owner.pk,
        base_version,
    ]
    records_event = connection.vendor == "postgresql"
    if records_event:
        params += [
            DRAFT_SAVED,
            DRAFT_SAVED_STATE,
            json.dumps(list(field_names)),
            now_param,
        ]
    sql = _autosave_sql(connection.vendor, field_names)
    if not records_event:  # SQLite: the outbox row is a second statement
        with transaction.atomic():
            draft = _draft_update(sql, params)
            if draft is not None:
                draft_saved_event_record(draft, field_names, is_merged=False)
        return draft
    draft = _draft_update(sql, params)
    if draft is not None:
        event_deliver_on_commit(draft_saved_event(draft, field_names, now=now))
    return draft


def _draft_update(sql: str, params: list) -> Draft | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else _draft_from_row(row)


DRAFT_SAVED_STATE = "saved"


def draft_saved_event(
    draft: Draft, field_names: tuple[str, ...], *, now: datetime
) -> DomainEvent:
    """The `draft.saved` event the autosave statement wrote to the outbox itself."""
    return DomainEvent(
        type=DRAFT_SAVED,
        owner_id=draft.owner_id,
        object_id=str(draft.id),
        state=DRAFT_SAVED_STATE,
        at=now,
        data={"version": draft.version, "fields": list(field_names), "merged": False},
    )


def draft_saved_event_record(
    draft: Draft, field_names: tuple[str, ...] | list[str], *, is_merged: bool
) -> None:
    """Tell the owner's other devices that the draft has a new version."""
    event_record(
        type=DRAFT_SAVED,
        owner_id=draft.owner_id,
        object_id=draft.id,
        state=DRAFT_SAVED_STATE,
        data={
            "version": draft.version,
            "fields": sorted(field_names),
            "merged": is_merged,
        },
    )


def _datetime_param(moment: datetime) -> Any:
    return Draft._meta.get_field("updated_at").get_db_prep_save(moment, connection)


@lru_cache(maxsize=256)
def _autosave_sql(vendor: str, field_names: tuple[str, ...]) -> str:
    meta = Draft._meta
    assignments = []
    for name in field_names:
        assignments.append(f"{quote_name(meta.get_field(name).column)} = %s")
        assignments.append(f"{quote_name(version_stamp_field(name))} = version + 1")
    snapshot_due = "(revision_taken_at IS NULL OR revision_taken_at <= %s)"
    assignments += [
        "version = version + 1",
        f"{quote_name('updated_at')} = %s",
        f"revision_taken_version = CASE WHEN {snapshot_due} "
        f"THEN version + 1 ELSE revision_taken_version END",
        f"revision_taken_at = CASE WHEN {snapshot_due} "
        f"THEN %s ELSE revision_taken_at END",
    ]
    columns = ", ".join(quote_name(field.column) for field in _returned_fields())
    # Only quoted identifiers are interpolated; every value is a parameter.
    update = (
        f"UPDATE {quote_name(meta.db_table)} SET {', '.join(assignments)} "
        f"WHERE id = %s AND owner_id = %s AND version = %s "
        f"AND {_editable_condition_sql()} "
        f"RETURNING {columns}"
    )
    if vendor != "postgresql":
        return update
    # PostgreSQL: the draft.saved outbox row rides in the same statement (a
    # data-modifying WITH), so the event costs autosave no extra round trip and
    # exists exactly when the update does.
    outbox = OutboxEvent._meta
    return (
        f"WITH saved AS ({update}), recorded AS ("
        f"INSERT INTO {quote_name(outbox.db_table)} "
        f"(owner_id, type, object_id, state, data, created_at) "
        f"SELECT owner_id, %s, id::text, %s, jsonb_build_object("
        f"'version', version, 'fields', %s::jsonb, 'merged', false), %s "
        f"FROM saved) SELECT {columns} FROM saved"
    )


@cache
def _editable_condition_sql() -> str:
    """`DRAFT_IS_EDITABLE` as SQL, compiled by Django: the rule is written once."""
    query = Draft.objects.filter(DRAFT_IS_EDITABLE).query
    condition, params = query.where.as_sql(
        query.get_compiler(connection=connection), connection
    )
    if params:  # the rule compares columns with NULL only; nothing to bind
        raise ValueError(f"DRAFT_IS_EDITABLE compiled with parameters: {params}")
    return condition


# What autosave's answer and its snapshot decision need; the rest stays deferred.
RETURNED_FIELD_NAMES = (
    "id",
    "owner",
    *EDITABLE_FIELDS,
    "version",
    "revision_taken_version",
    "created_at",
    "updated_at",
)


@cache
def _returned_fields() -> list:
    return [Draft._meta.get_field(name) for name in RETURNED_FIELD_NAMES]


@cache
def _returned_attnames() -> tuple[str, ...]:
    return tuple(field.attname for field in _returned_fields())


def _draft_from_row(row: tuple) -> Draft:
    return model_from_row(Draft, _returned_attnames(), row, alias=connection.alias)


def draft_revision_snapshot(*, draft_id: UUID, reason: str, now: datetime) -> None:
    """Copy the draft's current content into its next revision and drop the revisions
    past the newest DRAFT_REVISIONS_KEPT.

    On PostgreSQL one statement does both (the insert feeds the delete through a
    data-modifying WITH), so an autosave that takes a snapshot stays at two
    statements however many revisions the draft has. SQLite runs the two in turn.
    """
    revision_table = quote_name(DraftRevision._meta.db_table)
    draft_pk = Draft._meta.pk.get_db_prep_value(draft_id, connection)
    snapshot_params = [
        reason,
        DraftRevision._meta.get_field("created_at").get_db_prep_save(now, connection),
        draft_pk,
    ]
    prune_params = [draft_pk, settings.DRAFT_REVISIONS_KEPT]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH snapshot AS ({_snapshot_sql()}) "
                f"DELETE FROM {revision_table} r USING snapshot s "
                f"WHERE r.draft_id = %s AND r.number <= s.number - %s",
                snapshot_params + prune_params,
            )
            return
        cursor.execute(_snapshot_sql(), snapshot_params)
        (number,) = cursor.fetchone()
        cursor.execute(
            f"DELETE FROM {revision_table} WHERE draft_id = %s AND number <= %s",
            [draft_pk, number - settings.DRAFT_REVISIONS_KEPT],
        )


@cache
def _snapshot_sql() -> str:
    """INSERT ... SELECT of a draft (a parameter) into its next revision."""
    draft_table = quote_name(Draft._meta.db_table)
    revision_table = quote_name(DraftRevision._meta.db_table)
    copied = ", ".join(quote_name(name) for name in EDITABLE_FIELDS)
    copied_from_draft = ", ".join(f"d.{quote_name(name)}" for name in EDITABLE_FIELDS)
    # Only quoted identifiers are interpolated; every value is a parameter.
    return (
        f"INSERT INTO {revision_table} "
        f"(draft_id, number, draft_version, reason, {copied}, created_at) "
        f"SELECT d.id, COALESCE((SELECT MAX(r.number) FROM {revision_table} r "
        f"WHERE r.draft_id = d.id), 0) + 1, d.version, %s, {copied_from_draft}, %s "
        f"FROM {draft_table} d WHERE d.id = %s RETURNING number"
    )
