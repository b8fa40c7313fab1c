"""Take-down: stop serving an asset's public derivatives; keep its private original.

`media_take_down` runs in the transaction that removes the post showing the assets:
it stamps `taken_down_at`, deletes the variant rows and records their objects for
deletion. Right after commit the objects are deleted in the same process, before the
request returns, the same way on every backend (S3 answers 403/404 for them, the local
backend 404), and the CDN is asked to forget them; whatever storage refuses is
retried by the stored-object deletion task until storage confirms. While
`taken_down_at` is set, no processing run may derive the asset again (its claim and
its result both check it), so a reprocess cannot republish it.

`media_restore` clears the mark and sends the asset through processing again, which
derives the variants from the original (kept private throughout).
"""

from collections.abc import Iterable
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from media_uploads.models import MediaAsset, MediaStatus, MediaVariant
from media_uploads.services.deletion import stored_objects_delete_now
from media_uploads.services.queueing import media_dispatch_waiting_after_commit


@transaction.atomic
def media_take_down(*, asset_ids: Iterable[UUID]) -> int:
    """Unpublish the assets' derivatives (see module docstring); return how many
    assets this call took down. Safe to repeat."""
    asset_ids = list(asset_ids)
    now = timezone.now()
    taken_down = MediaAsset.objects.filter(
        id__in=asset_ids, taken_down_at__isnull=True
    ).update(taken_down_at=now, updated_at=now)
    variants = MediaVariant.objects.filter(asset_id__in=asset_ids)
    keys = list(variants.values_list("key", flat=True))
    variants.delete()
    stored_objects_delete_now(keys)
    return taken_down


@transaction.atomic
def media_release(*, asset_ids: Iterable[UUID]) -> int:
    """Detach the assets from their drafts: their author deleted the post showing
    them, so they are theirs to delete, and cleanup purges them as unattached."""
    return MediaAsset.objects.filter(id__in=list(asset_ids)).update(
        draft=None, position=None, updated_at=timezone.now()
    )


@transaction.atomic
def media_restore(*, asset_ids: Iterable[UUID]) -> int:
    """Serve taken-down assets again: ready ones go back through processing, which
    derives their variants anew. Return how many were restored."""
    assets = MediaAsset.objects.select_for_update().filter(
        id__in=list(asset_ids), taken_down_at__isnull=False
    )
    restored = 0
    now = timezone.now()
    for asset in assets:
        changes: dict = {"taken_down_at": None, "updated_at": now}
        if asset.status == MediaStatus.READY:
            changes.update(
                status=MediaStatus.UPLOADED,
                processing_attempts=0,
                processing_started_at=None,
                processing_task_id="",
                dispatched_at=None,
            )
            media_dispatch_waiting_after_commit(asset.owner_id)
        restored += MediaAsset.objects.filter(id=asset.id).update(**changes)
    return restored
