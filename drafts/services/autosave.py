"""Writes to drafts: create, autosave (with merge), delete, restore, purge.

Autosave never loses an accepted edit. The fast path is one conditional
`UPDATE ... WHERE id = .. AND owner = .. AND version = N RETURNING *`; it reads nothing
first. When N is stale the row is locked and each sent field's version stamp decides:
a field nobody changed since N is merged, a field somebody changed is a conflict (412)
unless it already holds the sent value. A snapshot is taken at most once per
DRAFT_REVISION_INTERVAL from autosaves, and always before a merge or a restore.
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from drafts.models import (
    EDITABLE_FIELDS,
    MEDIA_FIELD,
    Draft,
    RevisionReason,
    version_stamp_field,
)
from drafts.services.errors import (
    DraftChanges,
    DraftConflict,
    DraftNotFound,
    DraftPublished,
)
from drafts.services.media import draft_media_set
from drafts.services.statements import (
    draft_revision_snapshot,
    draft_saved_event_record,
    draft_update_if_current,
)
from media_uploads.models import MediaAsset


@dataclass(frozen=True)
class AutosaveResult:
    draft: Draft
    is_merged: bool


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
    draft = draft_update_if_current(
        draft_id=draft_id,
        owner=owner,
        base_version=base_version,
        changes=changes,
        now=now,
    )
    if draft is not None:
        if draft.revision_taken_version == draft.version:
            draft_revision_snapshot(
                draft_id=draft.id, reason=RevisionReason.AUTOSAVE, now=now
            )
        return AutosaveResult(draft=draft, is_merged=False)
    return _draft_merge(
        draft_id=draft_id, owner=owner, base_version=base_version, changes=changes
    )


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


def fields_changed_since(
    draft: Draft, base_version: int, field_names: tuple[str, ...] | list[str]
) -> list[str]:
    return [
        name
        for name in field_names
        if base_version > draft.version
        or getattr(draft, version_stamp_field(name)) > base_version
    ]


def draft_require_version(draft: Draft, base_version: int) -> None:
    """What acts on the whole draft (restore, publish) needs the current version; the
    412 names every field, media included, changed since the client's version."""
    if base_version != draft.version:
        raise DraftConflict(
            draft=draft,
            conflicting_fields=fields_changed_since(
                draft, base_version, (*EDITABLE_FIELDS, MEDIA_FIELD)
            ),
        )


@transaction.atomic
def _draft_merge(
    *, draft_id: UUID, owner: AbstractBaseUser, base_version: int, changes: DraftChanges
) -> AutosaveResult:
    draft = draft_lock(draft_id=draft_id, owner=owner)
    is_merged = base_version != draft.version
    changed_since = fields_changed_since(draft, base_version, list(changes))
    current = {name: _draft_field_value(draft, name) for name in changes}
    # A field that already holds the sent value is no conflict: a duplicate delivery
    # of the same edit becomes a no-op instead of a 412.
    conflicting = [name for name in changed_since if current[name] != changes[name]]
    if conflicting:
        raise DraftConflict(draft=draft, conflicting_fields=conflicting)
    effective = {
        name: value for name, value in changes.items() if current[name] != value
    }
    if not effective:
        return AutosaveResult(draft=draft, is_merged=is_merged)
    now = timezone.now()
    if is_merged:
        draft_revision_snapshot(
            draft_id=draft.id, reason=RevisionReason.BEFORE_MERGE, now=now
        )
    draft_apply(draft, changes=effective, is_merged=is_merged)
    return AutosaveResult(draft=draft, is_merged=is_merged)


def _draft_field_value(draft: Draft, name: str) -> Any:
    """The draft's value of an editable field; for media, their ids in order."""
    if name == MEDIA_FIELD:
        return list(MediaAsset.objects.held_by(draft.id).values_list("id", flat=True))
    return getattr(draft, name)


def draft_apply(
    draft: Draft, *, changes: DraftChanges, is_merged: bool = False
) -> None:
    """Write `changes` to a locked draft as its next version; record `draft.saved`."""
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
    draft.save(update_fields=updated_fields)  # updated_at: auto_now
    draft_saved_event_record(draft, list(changes), is_merged=is_merged)
