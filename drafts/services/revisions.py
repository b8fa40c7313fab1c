"""Restoring a draft to one of its revisions."""

from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from drafts.models import (
    EDITABLE_FIELDS,
    Draft,
    DraftRevision,
    RevisionReason,
)
from drafts.services.autosave import draft_apply, draft_lock, draft_require_version
from drafts.services.errors import (
    DraftRevisionNotFound,
)
from drafts.services.statements import draft_revision_snapshot


@transaction.atomic
def draft_revision_restore(
    *, draft_id: UUID, owner: AbstractBaseUser, number: int, base_version: int
) -> Draft:
    """Make revision `number` the draft's content, as a new version."""
    draft = draft_lock(draft_id=draft_id, owner=owner)
    revision = DraftRevision.objects.filter(draft=draft, number=number).first()
    if revision is None:
        raise DraftRevisionNotFound()
    draft_require_version(draft, base_version)
    now = timezone.now()
    draft_revision_snapshot(
        draft_id=draft.id, reason=RevisionReason.BEFORE_RESTORE, now=now
    )
    draft_apply(
        draft,
        changes={name: getattr(revision, name) for name in EDITABLE_FIELDS},
    )
    return draft
