"""Reads of media. Ownership is enforced here: another user's media does not exist."""

from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from config.api_errors import ApiError
from media_uploads.models import MediaAsset


class MediaNotFound(ApiError):
    status_code = 404
    default_code = "not_found"
    default_detail = "No such media."


def media_list(*, owner: AbstractBaseUser) -> QuerySet[MediaAsset]:
    return MediaAsset.objects.filter(owner=owner)


def media_get(*, asset_id: UUID, owner: AbstractBaseUser) -> MediaAsset:
    asset = media_list(owner=owner).filter(id=asset_id).first()
    if asset is None:
        raise MediaNotFound()
    return asset


def media_of_draft(*, draft_id: UUID) -> QuerySet[MediaAsset]:
    return MediaAsset.objects.filter(draft_id=draft_id).order_by(
        "position", "created_at"
    )
