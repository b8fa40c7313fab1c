"""Deleting stored objects without ever orphaning one.

Deleting an asset records its objects in StoredObjectDeletion in the same
transaction; they are deleted after commit and retried until storage confirms.
"""

import logging
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F

from core.errors import Conflict
from media_uploads.models import MediaAsset, StoredObjectDeletion
from media_uploads.selectors import MediaNotFound
from media_uploads.services.dispatch import stored_objects_delete_enqueue
from media_uploads.services.queueing import media_dispatch_waiting_after_commit
from media_uploads.services.usage import media_is_in_use
from media_uploads.storage import get_storage
from media_uploads.storage.base import PUBLIC_PREFIX
from media_uploads.storage.cdn import cdn_invalidate

logger = logging.getLogger(__name__)


def media_stored_keys(asset: MediaAsset) -> list[str]:
    """Every object stored for `asset`: its original and its derivatives."""
    return [asset.original_key, *asset.variants.values_list("key", flat=True)]


class MediaInUse(Conflict):
    code = "media_in_use"
    message = "A post shows this media; delete or remove the post first."


@transaction.atomic
def media_delete(*, asset_id: UUID, owner: AbstractBaseUser | None) -> None:
    """Delete the asset now and its stored objects after commit (owner None: staff)."""
    assets = MediaAsset.objects.select_for_update().filter(id=asset_id)
    if owner is not None:
        assets = assets.filter(owner=owner)
    asset = assets.first()
    if asset is None:
        raise MediaNotFound()
    if media_is_in_use(asset):
        raise MediaInUse()
    stored_objects_delete_later(media_stored_keys(asset))
    asset.delete()
    if asset.is_processing:
        # A deleted upload frees its turn, or its place in the line.
        media_dispatch_waiting_after_commit(asset.owner_id)


def stored_objects_delete_later(keys: list[str]) -> None:
    """Record `keys` for deletion in the current transaction; delete after commit."""
    StoredObjectDeletion.objects.bulk_create(
        [StoredObjectDeletion(key=key) for key in keys], ignore_conflicts=True
    )
    transaction.on_commit(lambda: stored_objects_delete_enqueue(keys))


def stored_objects_delete_now(keys: list[str]) -> None:
    """Record `keys` for deletion in the current transaction and delete them right
    after commit, in this process, before the caller answers (a take-down). What
    storage refuses goes to the retried deletion task."""
    StoredObjectDeletion.objects.bulk_create(
        [StoredObjectDeletion(key=key) for key in keys], ignore_conflicts=True
    )

    def delete_or_retry_later() -> None:
        failed = stored_objects_delete(keys=keys)
        if failed:
            stored_objects_delete_enqueue(failed)

    transaction.on_commit(delete_or_retry_later)


def stored_objects_delete(*, keys: list[str] | None = None) -> list[str]:
    """Delete recorded objects from storage; return the keys that failed.

    A key whose deletion fails keeps its row (with the error and attempt count) for
    the next run, so nothing is ever forgotten. Public derivatives that are gone are
    then purged from the CDN, if one is configured.
    """
    pending = StoredObjectDeletion.objects.order_by("created_at")
    if keys is not None:
        pending = pending.filter(key__in=keys)
    storage = get_storage()
    failed = []
    deleted_public = []
    for deletion in pending[:1000]:
        try:
            storage.delete(deletion.key)
        except Exception as error:  # any failure: keep the row, retry later
            StoredObjectDeletion.objects.filter(id=deletion.id).update(
                attempts=F("attempts") + 1, last_error=str(error)[:500]
            )
            failed.append(deletion.key)
        else:
            StoredObjectDeletion.objects.filter(id=deletion.id).delete()
            if deletion.key.startswith(f"{PUBLIC_PREFIX}/"):
                deleted_public.append(storage.public_url(deletion.key))
    try:
        cdn_invalidate(deleted_public)
    except Exception:  # the bounded max-age still expires cached copies
        logger.exception("CDN invalidation of %d paths failed", len(deleted_public))
    return failed
