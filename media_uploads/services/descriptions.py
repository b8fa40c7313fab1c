"""Alt text and captions: what a person writes about their media."""

from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from core.models_update import model_update
from media_uploads.models import MediaAsset
from media_uploads.selectors import MediaNotFound


@transaction.atomic
def media_update(
    *, asset_id: UUID, owner: AbstractBaseUser, changes: dict
) -> MediaAsset:
    """Change alt text and caption; return the asset, locked until the commit."""
    asset = (
        MediaAsset.objects.select_for_update().filter(id=asset_id, owner=owner).first()
    )
    if asset is None:
        raise MediaNotFound()
    model_update(asset, changes, allowed=("alt_text", "caption"))
    return asset
