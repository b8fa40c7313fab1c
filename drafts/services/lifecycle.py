"""A draft's life outside autosave: creation, deletion, recovery, purge, and being
consumed by a post and given back."""

from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from core.events import DRAFT_PUBLISHED, event_record
from core.locks import user_lock
from drafts.models import (
    Draft,
)
from drafts.services.errors import (
    DraftChanges,
    DraftLimitReached,
    DraftNotFound,
)


@transaction.atomic
def draft_create(*, owner: AbstractBaseUser, changes: DraftChanges) -> Draft:
    # Lock the owner's row so concurrent creates cannot overshoot the limit.
    user_lock(owner)
    live_count = Draft.objects.editable().filter(owner=owner).count()
    if live_count >= settings.DRAFT_MAX_LIVE_PER_USER:
        raise DraftLimitReached()
    return Draft.objects.create(owner=owner, **changes)


@transaction.atomic
def draft_delete(*, draft_id: UUID, owner: AbstractBaseUser) -> None:
    """Hide the draft (staff can restore it for DRAFT_DELETED_RETENTION_DAYS).

    Only the newest DRAFT_MAX_DELETED_PER_USER deleted drafts are kept; older ones
    are purged at once, so create-then-delete loops cannot grow the database.
    """
    deleted = (
        Draft.objects.editable()
        .filter(id=draft_id, owner=owner)
        .update(deleted_at=timezone.now())
    )
    if not deleted:
        raise DraftNotFound()
    beyond_cap = Draft.objects.filter(owner=owner, deleted_at__isnull=False).order_by(
        "-deleted_at", "-id"
    )[settings.DRAFT_MAX_DELETED_PER_USER :]
    Draft.objects.filter(id__in=list(beyond_cap.values_list("id", flat=True))).delete()


def draft_undelete(*, draft_id: UUID) -> bool:
    """Give a soft-deleted draft back to its owner (staff repair); False if it was
    not deleted."""
    return bool(
        Draft.objects.filter(id=draft_id, deleted_at__isnull=False).update(
            deleted_at=None, updated_at=timezone.now()
        )
    )


def drafts_purge_deleted(*, now: datetime | None = None) -> int:
    """Delete for good the drafts soft-deleted longer than the retention period."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.DRAFT_DELETED_RETENTION_DAYS)
    # delete() counts the cascaded revisions too; report drafts alone.
    _, deleted_by_model = Draft.objects.filter(deleted_at__lt=cutoff).delete()
    return deleted_by_model.get(Draft._meta.label, 0)


def draft_consume(*, draft: Draft, now: datetime) -> None:
    """Mark a locked draft as having become a post: it is no longer editable."""
    Draft.objects.filter(id=draft.id).update(consumed_at=now)
    event_record(
        type=DRAFT_PUBLISHED,
        owner_id=draft.owner_id,
        object_id=draft.id,
        state="published",
    )


def draft_give_back(*, draft_id: UUID) -> Draft:
    """Make a consumed draft editable again (its post was cancelled or failed)."""
    Draft.objects.filter(id=draft_id).update(
        consumed_at=None, updated_at=timezone.now()
    )
    return Draft.objects.get(id=draft_id)
