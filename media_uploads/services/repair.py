"""Staff repairs: send media through processing again, or fail it for a reason."""

from uuid import UUID

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.events import MEDIA_STATUS, event_record
from media_uploads.models import MediaAsset, MediaStatus
from media_uploads.services.processing import media_fail, stuck_in_processing
from media_uploads.services.queueing import media_dispatch_waiting_after_commit

REPROCESSABLE_STATUSES = (MediaStatus.UPLOADED, MediaStatus.READY, MediaStatus.FAILED)


def media_reprocess(*, asset_id: UUID) -> bool:
    """Send an uploaded, ready, failed or stuck asset through processing again.

    Staff repair: the asset goes back to `uploaded` with a fresh attempt budget and
    joins its owner's line for processing (services.queueing) after commit. A
    taken-down asset is left alone: only restoring its post derives it again. Its
    variants stay until the new run replaces them in one transaction. An asset still
    processing within MEDIA_STUCK_SECONDS, awaiting its upload or expired is left
    alone (False).
    """
    now = timezone.now()
    reprocessable = Q(status__in=REPROCESSABLE_STATUSES) | stuck_in_processing(now)
    with transaction.atomic():
        is_reset = bool(
            MediaAsset.objects.filter(
                reprocessable, id=asset_id, taken_down_at__isnull=True
            ).update(
                status=MediaStatus.UPLOADED,
                failure_code="",
                failure_message="",
                processing_attempts=0,
                processing_started_at=None,
                processing_task_id="",
                dispatched_at=None,
                updated_at=now,
            )
        )
        if is_reset:
            owner_id = MediaAsset.objects.values_list("owner_id", flat=True).get(
                id=asset_id
            )
            event_record(
                type=MEDIA_STATUS,
                owner_id=owner_id,
                object_id=asset_id,
                state=MediaStatus.UPLOADED,
            )
            media_dispatch_waiting_after_commit(owner_id)
    return is_reset


STAFF_FAILABLE_STATUSES = (
    MediaStatus.AWAITING_UPLOAD,
    MediaStatus.UPLOADED,
    MediaStatus.PROCESSING,
    MediaStatus.READY,
)


def media_fail_by_staff(*, asset_id: UUID, reason: str) -> bool:
    """Fail an asset for a reason a person gave; True if this call failed it.

    A run still processing it cannot mark it ready afterwards (its claim is gone),
    and posts waiting for it fail and give their drafts back.
    """
    return media_fail(
        asset_id=asset_id,
        code="failed_by_staff",
        message=reason,
        statuses=STAFF_FAILABLE_STATUSES,
    )
