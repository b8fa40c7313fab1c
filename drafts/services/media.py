"""A draft's media list: leasing into a draft, attaching, ordering, detaching.

Media know only which draft holds them and where (`MediaAsset.draft`, `position`);
what makes a draft able to take media, and how many, is decided here. Every path
takes the owner's limit lock before the draft's row lock, in that order.
"""

from uuid import UUID

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from core.errors import InvalidInput, LimitReached
from core.locks import user_lock
from core.models_update import model_update
from drafts.models import Draft
from media_uploads.models import MediaAsset
from media_uploads.services import (
    Lease,
    media_lease_check,
    media_lease_create,
    media_update,
)


class DraftMediaLimitReached(LimitReached):
    code = "draft_media_limit_reached"

    def __init__(self) -> None:
        super().__init__(f"A draft holds at most {settings.MEDIA_MAX_PER_DRAFT} media.")


class DraftNotUsable(InvalidInput):
    """A draft or media named in the request is not the caller's, or cannot be used
    (the draft cannot change). The request itself is well formed: a client that
    follows the schema can meet this one, and `fields` names which reference."""

    code = "reference_not_usable"


def draft_lock_for_media(*, draft_id: UUID, owner: AbstractBaseUser) -> Draft:
    draft = (
        Draft.objects.editable()
        .select_for_update()
        .filter(id=draft_id, owner=owner)
        .first()
    )
    if draft is None:
        raise DraftNotUsable.for_field(
            "draft", "No such draft.", summary="No such draft."
        )
    return draft


def draft_media_limit_check(draft: Draft, *, adding: int) -> int:
    """How many media the draft holds; raise if `adding` more would pass the limit."""
    attached = MediaAsset.objects.filter(draft=draft).count()
    if attached + adding > settings.MEDIA_MAX_PER_DRAFT:
        raise DraftMediaLimitReached()
    return attached


def draft_media_lease_create(
    *,
    owner: AbstractBaseUser,
    filename: str,
    content_type: str,
    size_bytes: int,
    sha256: str | None = None,
    draft_id: UUID | None = None,
) -> Lease:
    """Lease an upload, held by `draft_id` (after its media) when one is given."""
    file = {
        "filename": filename,
        "content_type": content_type,
        "size_bytes": size_bytes,
        "sha256": sha256,
    }
    if draft_id is None:
        return media_lease_create(owner=owner, **file)
    media_lease_check(content_type=content_type, size_bytes=size_bytes)
    with transaction.atomic():
        user_lock(owner)
        draft = draft_lock_for_media(draft_id=draft_id, owner=owner)
        position = draft_media_limit_check(draft, adding=1)
        return media_lease_create(
            owner=owner, **file, draft_id=draft.id, position=position
        )


@transaction.atomic
def draft_media_update(
    *, asset_id: UUID, owner: AbstractBaseUser, changes: dict
) -> MediaAsset:
    """Change alt text and caption, and which draft (and where in it) holds media."""
    asset = media_update(
        asset_id=asset_id,
        owner=owner,
        changes={
            name: changes[name] for name in ("alt_text", "caption") if name in changes
        },
    )
    holder: dict = {}
    if "draft" in changes:
        draft_id = changes["draft"]
        if draft_id is None:
            holder = {"draft": None, "position": None}
        elif draft_id != asset.draft_id:
            draft = draft_lock_for_media(draft_id=draft_id, owner=owner)
            holder = {
                "draft": draft,
                "position": draft_media_limit_check(draft, adding=1),
            }
    draft_id = holder["draft"].id if holder.get("draft") else asset.draft_id
    if "draft" in holder and holder["draft"] is None:
        draft_id = None
    if "position" in changes and draft_id is not None:
        holder["position"] = _draft_media_move(
            asset, draft_id=draft_id, to_position=changes["position"]
        )
    model_update(asset, holder, allowed=("draft", "position"))
    return asset


def _draft_media_move(asset: MediaAsset, *, draft_id: UUID, to_position: int) -> int:
    """Shift the draft's other media around `asset`; return `asset`'s new position."""
    ordered = list(
        MediaAsset.objects.select_for_update().held_by(draft_id).exclude(id=asset.id)
    )
    ordered.insert(min(to_position, len(ordered)), asset)
    new_position = 0
    for position, item in enumerate(ordered):
        if item.id == asset.id:
            new_position = position
        elif item.position != position:
            MediaAsset.objects.filter(id=item.id).update(position=position)
    return new_position


def draft_media_set(*, draft: Draft, media_ids: list[UUID]) -> None:
    """Make `media_ids` (the draft owner's) the draft's media in order; detach the rest.

    Call inside the transaction that holds the draft's row lock.
    """
    if len(media_ids) > settings.MEDIA_MAX_PER_DRAFT:
        raise DraftMediaLimitReached()
    owned = set(
        MediaAsset.objects.select_for_update()
        .filter(owner_id=draft.owner_id, id__in=media_ids)
        .values_list("id", flat=True)
    )
    unknown = [str(media_id) for media_id in media_ids if media_id not in owned]
    if unknown:
        raise DraftNotUsable.for_field(
            "media",
            f"No such media: {', '.join(unknown)}.",
            summary="Some media do not exist.",
        )
    MediaAsset.objects.filter(draft=draft).exclude(id__in=media_ids).update(
        draft=None, position=None, updated_at=timezone.now()
    )
    for position, media_id in enumerate(media_ids):
        MediaAsset.objects.filter(id=media_id).update(
            draft=draft, position=position, updated_at=timezone.now()
        )
