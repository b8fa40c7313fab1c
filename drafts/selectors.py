"""Reads of drafts. Ownership is enforced here: another user's draft does not exist."""

from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, QuerySet

from drafts.models import Draft, DraftRevision
from drafts.services import DraftNotFound, DraftRevisionNotFound
from media_uploads.models import HELD_MEDIA_ORDER, MediaAsset


def draft_list(*, owner: AbstractBaseUser) -> QuerySet[Draft]:
    return (
        Draft.objects.editable()
        .filter(owner=owner)
        .prefetch_related(
            Prefetch(
                "media",
                queryset=MediaAsset.objects.order_by(*HELD_MEDIA_ORDER),
                to_attr="ordered_media",
            )
        )
    )


def draft_get(*, draft_id: UUID, owner: AbstractBaseUser) -> Draft:
    # No media prefetch: a 304 needs none, and the representation loads them itself.
    draft = Draft.objects.editable().filter(owner=owner, id=draft_id).first()
    if draft is None:
        raise DraftNotFound()
    return draft


def draft_revision_list(
    *, draft_id: UUID, owner: AbstractBaseUser
) -> QuerySet[DraftRevision]:
    """The draft's revisions, newest first, with only what a list shows loaded."""
    if not Draft.objects.editable().filter(owner=owner, id=draft_id).exists():
        raise DraftNotFound()
    return (
        DraftRevision.objects.filter(draft_id=draft_id)
        .only("number", "draft_version", "reason", "title", "created_at")
        .order_by("-number")
    )


def draft_revision_get(
    *, draft_id: UUID, owner: AbstractBaseUser, number: int
) -> DraftRevision:
    editable = Draft.objects.editable().filter(id=draft_id, owner=owner)
    revision = DraftRevision.objects.filter(draft__in=editable, number=number).first()
    if revision is None:
        raise DraftRevisionNotFound()
    return revision


def draft_live_count(*, owner: AbstractBaseUser) -> int:
    """Drafts counted against DRAFT_MAX_LIVE_PER_USER (as draft_create does)."""
    return Draft.objects.editable().filter(owner=owner).count()
