"""Reads of media. Ownership is enforced here: another user's media does not exist."""

from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import timezone

from core.errors import NotFound
from media_uploads.models import MediaAsset, MediaStatus


class MediaNotFound(NotFound):
    message = "No such media."


def media_list(*, owner: AbstractBaseUser) -> QuerySet[MediaAsset]:
    return MediaAsset.objects.filter(owner=owner)


def media_get(*, asset_id: UUID, owner: AbstractBaseUser) -> MediaAsset:
    asset = media_list(owner=owner).filter(id=asset_id).first()
    if asset is None:
        raise MediaNotFound()
    return asset


def media_pending_count(*, owner: AbstractBaseUser) -> int:
    """Unfinished leases, counted as the lease insert counts them."""
    return MediaAsset.objects.filter(
        owner=owner,
        status=MediaStatus.AWAITING_UPLOAD,
        expires_at__gt=timezone.now(),
    ).count()
