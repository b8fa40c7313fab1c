"""Writes to drafts: create, autosave (with merge), delete, restore, purge.

Autosave never loses an accepted edit. The fast path is one conditional
`UPDATE ... WHERE id = .. AND owner = .. AND version = N RETURNING *`; it reads nothing
first. When N is stale the row is locked and each sent field's version stamp decides:
a field nobody changed since N is merged, a field somebody changed is a conflict (412)
unless it already holds the sent value. A snapshot is taken at most once per
DRAFT_REVISION_INTERVAL from autosaves, and always before a merge or a restore.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone
from rest_framework import status

from config.api_errors import ApiError
from drafts.models import (
    EDITABLE_FIELDS,
    MEDIA_FIELD,
    Draft,
    DraftRevision,
    RevisionReason,
    version_stamp_field,
)
from media_uploads.selectors import media_of_draft
from media_uploads.services import draft_media_set

DraftChanges = dict[str, Any]


class DraftNotFound(ApiError):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = "not_found"
    default_detail = "No such draft."


class DraftRevisionNotFound(DraftNotFound):
    default_detail = "No such revision of this draft."


class DraftPublished(ApiError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "draft_published"
    default_detail = (
        "This draft became a post; cancel a scheduled post to edit the draft again."
    )


class DraftLimitReached(ApiError):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "draft_limit_reached"
    default_detail = "You have reached the limit of live drafts; delete some first."


class DraftConflict(Exception):
    """The edit touches fields somebody else changed since the client's version."""

    def __init__(self, *, draft: Draft, conflicting_fields: list[str]) -> None:
        super().__init__(f"conflict on {conflicting_fields}")
        self.draft = draft
        self.conflicting_fields = conflicting_fields


@dataclass(frozen=True)
class AutosaveResult:
    draft: Draft
    is_merged: bool


@transaction.atomic
def draft_create(*, owner: AbstractBaseUser, changes: DraftChanges) -> Draft:
    # Lock the owner's row so concurrent creates cannot overshoot the limit.
    get_user_model().objects.select_for_update().filter(pk=owner.pk).first()
    live_count = Draft.objects.editable().filter(owner=owner).count()
    if live_count >= settings.DRAFT_MAX_LIVE_PER_USER:
        raise DraftLimitReached()
    return Draft.objects.create(owner=owner, **changes)


def draft_autosave(
    *, draft_id: UUID, owner: AbstractBaseUser, base_version: int, changes: DraftChanges
) -> AutosaveResult:
    """Apply `changes` made on top of `base_version`; raise DraftConflict on a clash."""
    now = timezone.now()
    if MEDIA_FIELD in changes:
        # Reordering media touches other rows: take the locked path.
        return _draft_merge(
            draft_id=draft_id, owner=owner, base_version=base_version, changes=changes
        )
    # No transaction around the fast path: the UPDATE is atomic by itself, and the
    # snapshot copies whatever the draft holds when it runs, with that version.
    draft = _draft_update_if_current(
        draft_id=draft_id,
        owner=owner,
        base_version=base_version,
        changes=changes,
        now=now,
    )
    if draft is not None:
        if draft.revision_taken_version == draft.version:
            _draft_revision_snapshot(
                draft_id=draft.id, reason=RevisionReason.AUTOSAVE, now=now
            )
        return AutosaveResult(draft=draft, is_merged=False)
    return _draft_merge(
        draft_id=draft_id, owner=owner, base_version=base_version, changes=changes
    )


@transaction.atomic
def draft_delete(*, draft_id: UUID, owner: AbstractBaseUser) -> None:
    deleted = (
        Draft.objects.editable()
        .filter(id=draft_id, owner=owner)
        .update(deleted_at=timezone.now())
    )
    if not deleted:
        raise DraftNotFound()


def draft_undelete(*, draft_id: UUID) -> Draft:
    """Give a soft-deleted draft back to its owner (staff repair)."""
    Draft.objects.filter(id=draft_id).update(deleted_at=None, updated_at=timezone.now())
    return Draft.objects.get(id=draft_id)


@transaction.atomic
def draft_revision_restore(
    *, draft_id: UUID, owner: AbstractBaseUser, number: int, base_version: int
) -> Draft:
    """Make revision `number` the draft's content, as a new version."""
    draft = draft_lock(draft_id=draft_id, owner=owner)
    revision = DraftRevision.objects.filter(draft=draft, number=number).first()
    if revision is None:
        raise DraftRevisionNotFound()
    if base_version != draft.version:
        raise DraftConflict(
            draft=draft,
            conflicting_fields=_fields_changed_since(
                draft, base_version, EDITABLE_FIELDS
            ),
        )
    now = timezone.now()
    _draft_revision_snapshot(
        draft_id=draft.id, reason=RevisionReason.BEFORE_RESTORE, now=now
    )
    _draft_apply(
        draft,
        changes={name: getattr(revision, name) for name in EDITABLE_FIELDS},
        now=now,
    )
    return draft


def drafts_purge_deleted(*, now: datetime | None = None) -> int:
    """Delete for good the drafts soft-deleted longer than the retention period."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.DRAFT_DELETED_RETENTION_DAYS)
    deleted, _ = Draft.objects.filter(deleted_at__lt=cutoff).delete()
    return deleted


def draft_lock(*, draft_id: UUID, owner: AbstractBaseUser) -> Draft:
    """Lock an editable draft of `owner` for the rest of the transaction."""
    draft = (
        Draft.objects.select_for_update()
        .filter(id=draft_id, owner=owner, deleted_at__isnull=True)
        .first()
    )
    if draft is None:
        raise DraftNotFound()
    if draft.consumed_at is not None:
        raise DraftPublished()
    return draft


def _fields_changed_since(
    draft: Draft, base_version: int, field_names: tuple[str, ...] | list[str]
) -> list[str]:
    return [
        name
        for name in field_names
        if base_version > draft.version
        or getattr(draft, version_stamp_field(name)) > base_version
    ]


@transaction.atomic
def _draft_merge(
    *, draft_id: UUID, owner: AbstractBaseUser, base_version: int, changes: DraftChanges
) -> AutosaveResult:
    draft = draft_lock(draft_id=draft_id, owner=owner)
    is_merged = base_version != draft.version
    changed_since = _fields_changed_since(draft, base_version, list(changes))
    # A field that already holds the sent value is no conflict: a duplicate delivery
    # of the same edit becomes a no-op instead of a 412.
    conflicting = [
        name for name in changed_since if getattr(draft, name) != changes[name]
    ]
    if conflicting:
        raise DraftConflict(draft=draft, conflicting_fields=conflicting)
    effective = {
        name: value for name, value in changes.items() if getattr(draft, name) != value
    }
    if not effective:
        return AutosaveResult(draft=draft, is_merged=is_merged)
    now = timezone.now()
    if is_merged:
        _draft_revision_snapshot(
            draft_id=draft.id, reason=RevisionReason.BEFORE_MERGE, now=now
        )
    _draft_apply(draft, changes=effective, now=now)
    return AutosaveResult(draft=draft, is_merged=is_merged)


def _draft_field_value(draft: Draft, name: str) -> Any:
    if name == MEDIA_FIELD:
        return list(media_of_draft(draft_id=draft.id).values_list("id", flat=True))
    return getattr(draft, name)


def _draft_apply(draft: Draft, *, changes: DraftChanges, now: datetime) -> None:
    """Write `changes` to a locked draft as its next version."""
    draft.version += 1
    updated_fields = ["version", "updated_at"]
    for name, value in changes.items():
        if name == MEDIA_FIELD:
            draft_media_set(draft=draft, media_ids=value)
            updated_fields.append(version_stamp_field(name))
        else:
            setattr(draft, name, value)
            updated_fields += [name, version_stamp_field(name)]
        setattr(draft, version_stamp_field(name), draft.version)
    draft.updated_at = now
    draft.save(update_fields=updated_fields)


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _draft_update_if_current(
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
    due_before = _datetime_param(
        now - timedelta(seconds=settings.DRAFT_REVISION_INTERVAL)
    )
    params += [
        _datetime_param(now),
        due_before,
        due_before,
        _datetime_param(now),
        meta.pk.get_db_prep_value(draft_id, connection),
        owner.pk,
        base_version,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_autosave_sql(connection.vendor, field_names), params)
        row = cursor.fetchone()
    return None if row is None else _draft_from_row(row)


def _datetime_param(moment: datetime) -> Any:
    return Draft._meta.get_field("updated_at").get_db_prep_save(moment, connection)


@lru_cache(maxsize=256)
def _autosave_sql(vendor: str, field_names: tuple[str, ...]) -> str:
    meta = Draft._meta
    assignments = []
    for name in field_names:
        assignments.append(f"{_quote(meta.get_field(name).column)} = %s")
        assignments.append(f"{_quote(version_stamp_field(name))} = version + 1")
    snapshot_due = "(revision_taken_at IS NULL OR revision_taken_at <= %s)"
    assignments += [
        "version = version + 1",
        f"{_quote('updated_at')} = %s",
        f"revision_taken_version = CASE WHEN {snapshot_due} "
        f"THEN version + 1 ELSE revision_taken_version END",
        f"revision_taken_at = CASE WHEN {snapshot_due} "
        f"THEN %s ELSE revision_taken_at END",
    ]
    columns = ", ".join(_quote(field.column) for field in meta.concrete_fields)
    # Only quoted identifiers are interpolated; every value is a parameter.
    return (
        f"UPDATE {_quote(meta.db_table)} SET {', '.join(assignments)} "
        f"WHERE id = %s AND owner_id = %s AND version = %s "
        f"AND deleted_at IS NULL AND consumed_at IS NULL "
        f"RETURNING {columns}"
    )


@lru_cache(maxsize=4)
def _row_converters(vendor: str) -> list[tuple[list, Any]]:
    """Per column, the converters Django's compiler would apply, and their Col."""
    meta = Draft._meta
    converters = []
    for field in meta.concrete_fields:
        column = field.get_col(meta.db_table)
        converters.append(
            (
                connection.ops.get_db_converters(column)
                + field.get_db_converters(connection),
                column,
            )
        )
    return converters


def _draft_from_row(row: tuple) -> Draft:
    values = []
    for value, (converters, column) in zip(
        row, _row_converters(connection.vendor), strict=True
    ):
        for converter in converters:
            value = converter(value, column, connection)
        values.append(value)
    return Draft.from_db(
        connection.alias, [f.attname for f in Draft._meta.concrete_fields], values
    )


def _draft_revision_snapshot(*, draft_id: UUID, reason: str, now: datetime) -> None:
    """Copy the draft's current content into its next revision (INSERT ... SELECT)."""
    draft_table = _quote(Draft._meta.db_table)
    revision_table = _quote(DraftRevision._meta.db_table)
    copied = ", ".join(_quote(name) for name in EDITABLE_FIELDS)
    copied_from_draft = ", ".join(f"d.{_quote(name)}" for name in EDITABLE_FIELDS)
    # Only quoted identifiers are interpolated; every value is a parameter.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {revision_table} "
            f"(draft_id, number, draft_version, reason, {copied}, created_at) "
            f"SELECT d.id, COALESCE((SELECT MAX(r.number) FROM {revision_table} r "
            f"WHERE r.draft_id = d.id), 0) + 1, d.version, %s, {copied_from_draft}, %s "
            f"FROM {draft_table} d WHERE d.id = %s RETURNING number",
            [
                reason,
                DraftRevision._meta.get_field("created_at").get_db_prep_save(
                    now, connection
                ),
                Draft._meta.pk.get_db_prep_value(draft_id, connection),
            ],
        )
        (number,) = cursor.fetchone()
    oldest_kept = number - settings.DRAFT_REVISIONS_KEPT + 1
    if oldest_kept > 1:
        DraftRevision.objects.filter(draft_id=draft_id, number__lt=oldest_kept).delete()
