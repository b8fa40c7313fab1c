"""The periodic sweep that keeps no asset in a non-terminal state forever."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from media_uploads.models import PROCESSABLE_STATUSES, MediaAsset
from media_uploads.services.dispatch import media_process_enqueue
from media_uploads.services.processing import (
    media_attempt_limit,
    media_fail_out_of_attempts,
)
from media_uploads.services.queueing import HOLDS_A_TURN, media_dispatch_all_waiting


@dataclass(frozen=True)
class SweepReport:
    requeued: int
    failed: int
    dispatched: int = 0


def media_sweep_stuck(*, now: datetime | None = None) -> SweepReport:
    """Re-enqueue dispatched assets stuck in uploaded/processing (fail them past the
    limit), and dispatch waiting uploads whose owners have free turns.

    Uploads waiting for a turn are not stuck: they are dispatched in order."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.MEDIA_STUCK_SECONDS)
    stuck = MediaAsset.objects.filter(
        HOLDS_A_TURN, status__in=PROCESSABLE_STATUSES, updated_at__lt=stale_before
    )
    requeued = failed = 0
    for asset in stuck[:500]:
        if asset.processing_attempts >= media_attempt_limit():
            failed += media_fail_out_of_attempts(asset_id=asset.id)
            continue
        # Touch the row so the next sweep waits another full period for this run.
        touched = MediaAsset.objects.filter(
            id=asset.id, status=asset.status, updated_at=asset.updated_at
        ).update(updated_at=now)
        if touched:
            media_process_enqueue(asset.id)
            requeued += 1
    dispatched = media_dispatch_all_waiting()
    return SweepReport(requeued=requeued, failed=failed, dispatched=dispatched)
