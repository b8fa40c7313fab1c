"""Fair processing: at most MEDIA_MAX_PROCESSING_PER_USER of a user's assets in line.

An accepted upload waits as `uploaded` with no `dispatched_at`. `media_dispatch_waiting`
sends a process_image task for the owner's oldest waiting assets while fewer than the
limit are dispatched or processing. It runs when an upload is accepted, when one of
the owner's assets settles (ready, failed, deleted), when staff reprocess or restore,
and from the periodic sweep as a backstop, so nothing waits forever. An advisory lock
per owner serializes the count and the claim, so two dispatchers never both take the
same free slot; the claim itself is a conditional update.

An owner's first turn is sent at the broker's first priority and each further turn
one step lower (Redis: 0, 3, 6, 9), so another user's single photo is taken before a
flood's queued extra turns instead of waiting behind them.
"""

from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.locks import user_dispatch_lock
from media_uploads.models import MediaAsset, MediaStatus
from media_uploads.services.dispatch import media_process_enqueue

# kombu's Redis transport keeps a list per priority step (0, 3, 6, 9); 0 goes first.
PRIORITY_STEP = 3
LOWEST_PRIORITY = 9

# Dispatched and not yet settled: the asset holds one of its owner's turns.
HOLDS_A_TURN = Q(status=MediaStatus.PROCESSING) | Q(
    status=MediaStatus.UPLOADED, dispatched_at__isnull=False
)
WAITING_FOR_A_TURN = Q(
    status=MediaStatus.UPLOADED, dispatched_at__isnull=True, taken_down_at__isnull=True
)


@transaction.atomic
def media_dispatch_waiting(*, owner_id: int) -> int:
    """Send the owner's oldest waiting uploads to the workers while turns are free;
    return how many were sent (after commit)."""
    user_dispatch_lock(owner_id)
    owned = MediaAsset.objects.filter(owner_id=owner_id)
    held = owned.filter(HOLDS_A_TURN).count()
    free = settings.MEDIA_MAX_PROCESSING_PER_USER - held
    if free <= 0:
        return 0
    waiting = list(
        owned.filter(WAITING_FOR_A_TURN)
        .order_by("uploaded_at", "created_at")
        .values_list("id", flat=True)[:free]
    )
    dispatched = 0
    now = timezone.now()
    for asset_id in waiting:
        if MediaAsset.objects.filter(WAITING_FOR_A_TURN, id=asset_id).update(
            dispatched_at=now, updated_at=now
        ):
            priority = min(PRIORITY_STEP * (held + dispatched), LOWEST_PRIORITY)
            transaction.on_commit(
                partial(media_process_enqueue, asset_id, priority=priority)
            )
            dispatched += 1
    return dispatched


def media_dispatch_waiting_after_commit(owner_id: int) -> None:
    """Dispatch the owner's waiting uploads once the caller's transaction commits
    (one of their turns was freed or an upload joined the line)."""
    transaction.on_commit(partial(media_dispatch_waiting, owner_id=owner_id))


def media_dispatch_all_waiting() -> int:
    """The sweep's backstop: dispatch for every owner who has uploads waiting."""
    owners = (
        MediaAsset.objects.filter(WAITING_FOR_A_TURN)
        .values_list("owner_id", flat=True)
        .distinct()
    )
    return sum(media_dispatch_waiting(owner_id=owner_id) for owner_id in owners[:500])
