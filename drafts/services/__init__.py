"""Writes to drafts: create, autosave (with merge), delete, restore, purge."""

from drafts.services.autosave import (
    AutosaveResult,
    draft_apply,
    draft_autosave,
    draft_lock,
    draft_require_version,
    fields_changed_since,
)
from drafts.services.errors import (
    DraftChanges,
    DraftConflict,
    DraftLimitReached,
    DraftNotFound,
    DraftPublished,
    DraftRevisionNotFound,
)
from drafts.services.lifecycle import (
    draft_consume,
    draft_create,
    draft_delete,
    draft_give_back,
    draft_undelete,
    drafts_purge_deleted,
)
from drafts.services.revisions import draft_revision_restore

__all__ = (
    "AutosaveResult",
    "DraftChanges",
    "DraftConflict",
    "DraftLimitReached",
    "DraftNotFound",
    "DraftPublished",
    "DraftRevisionNotFound",
    "draft_apply",
    "draft_autosave",
    "draft_consume",
    "draft_create",
    "draft_give_back",
    "draft_delete",
    "draft_lock",
    "draft_revision_restore",
    "draft_undelete",
    "drafts_purge_deleted",
    "draft_require_version",
    "fields_changed_since",
)
