"""Alt text, captions, and which draft holds which media in which order."""

from uuid import UUID

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from drafts.models import Draft
from media_uploads.models import MediaAsset
from media_uploads.selectors import MediaNotFound
from media_uploads.services.errors import (
    DraftMediaLimitReached,
    DraftNotUsable,
)
from media_uploads.services.leases import draft_lock_for_media, draft_media_limit_check


@transaction.atomic
def media_update(
    *,
    asset_id: UUID,
    owner: AbstractBaseUser,
    changes: dict,
) -> MediaAsset:
    """Change alt text, caption, and which draft (and where in it) holds the media."""
    asset = (
        MediaAsset.objects.select_for_update().filter(id=asset_id, owner=owner).first()
    )
    if asset is None:
        raise MediaNotFound()
    updated_fields = ["updated_at"]
    for name in ("alt_text", "caption"):
        if name in changes:
            setattr(asset, name, changes[name])
            updated_fields.append(name)
    if "draft" in changes:
        draft_id = changes["draft"]
        if draft_id is None:
            asset.draft, asset.position = None, None
        elif draft_id != asset.draft_id:
            draft = draft_lock_for_media(draft_id=draft_id, owner=owner)
            asset.draft = draft
            asset.position = draft_media_limit_check(draft, adding=1)
        updated_fields += ["draft", "position"]
    if "position" in changes and asset.draft_id is not None:
        _draft_media_move(asset, to_position=changes["position"])
        updated_fields.append("position")
    asset.save(update_fields=updated_fields)
    return asset


def _draft_media_move(asset: MediaAsset, *, to_position: int) -> None:
    ordered = list(
        MediaAsset.objects.select_for_update()
        .filter(draft_id=asset.draft_id)
        .exclude(id=asset.id)
        .order_by("position", "created_at")
    )
    ordered.insert(min(to_position, len(ordered)), asset)
    for position, item in enumerate(ordered):
        if item.id == asset.id:
            asset.position = position
        elif item.position != position:
            MediaAsset.objects.filter(id=item.id).update(position=position)


def draft_media_set(*, draft: Draft, media_ids: list[UUID]) -> None:
    """Make `media_ids` (the draft owner's) the draft's media in order; detach the rest.

    Call inside the transaction that holds the draft's row lock.
    """
    if len(media_ids) > settings.MEDIA_MAX_PER_DRAFT:
        raise DraftMediaLimitReached(
            f"A draft holds at most {settings.MEDIA_MAX_PER_DRAFT} media."
        )
    owned = set(
        MediaAsset.objects.select_for_update()
        .filter(owner_id=draft.owner_id, id__in=media_ids)
        .values_list("id", flat=True)
    )
    unknown = [str(media_id) for media_id in media_ids if media_id not in owned]
    if unknown:
        raise DraftNotUsable(
            "Some media do not exist.",
            extra={"fields": {"media": [f"No such media: {', '.join(unknown)}."]}},
        )
    MediaAsset.objects.filter(draft=draft).exclude(id__in=media_ids).update(
        draft=None, position=None, updated_at=timezone.now()
    )
    for position, media_id in enumerate(media_ids):
        MediaAsset.objects.filter(id=media_id).update(
            draft=draft, position=position, updated_at=timezone.now()
        )
