import random
from uuid import UUID

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.utils.log import get_task_logger
from django.conf import settings

from media_uploads import task_names
from media_uploads.services import media_cleanup, stored_objects_delete
from media_uploads.services.processing import media_fail, media_process
from media_uploads.services.sweep import media_sweep_stuck
from media_uploads.storage.base import StorageUnavailable

logger = get_task_logger(__name__)


def retry_delay_seconds(retries: int) -> float:
    """Exponential backoff with jitter (between half and all of the step), capped at
    five minutes: for storage retries of processing and of deletes."""
    ceiling = min(300.0, settings.MEDIA_RETRY_BASE_SECONDS * 2**retries)
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 (jitter, not crypto)


@shared_task(
    name=task_names.DELETE_STORED_OBJECTS,
    bind=True,
    max_retries=8,
)
def stored_objects_delete_task(self, keys: list[str] | None = None) -> int:
    """Delete recorded objects; retry with backoff while storage refuses.

    Rows of keys that still fail after the retries stay, and the periodic run
    (keys=None) tries them again.
    """
    failed = stored_objects_delete(keys=keys)
    if failed and keys is not None:
        logger.warning("could not delete %d objects yet; retrying", len(failed))
        raise self.retry(countdown=retry_delay_seconds(self.request.retries))
    return len(failed)


@shared_task(name=task_names.CLEANUP)
def media_cleanup_task() -> dict:
    report = media_cleanup()
    return {
        "completed": report.completed,
        "expired": report.expired,
        "deleted": report.deleted,
    }


@shared_task(
    name=task_names.PROCESS_IMAGE,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
)
def media_process_task(self, asset_id: str) -> str:
    """Process one asset; safe to run twice (see services.processing).

    Storage errors are retried with backoff and jitter up to MEDIA_PROCESS_MAX_RETRIES
    times, then the asset fails; image errors fail it at once. Queue, time limits and
    prefetch come from settings.
    """
    try:
        outcome = media_process(asset_id=UUID(asset_id), task_id=self.request.id)
    except StorageUnavailable as error:
        if self.request.retries >= settings.MEDIA_PROCESS_MAX_RETRIES:
            media_fail(
                asset_id=UUID(asset_id),
                code="storage_unavailable",
                message="Storage stayed unreachable; staff can reprocess this image.",
                task_id=self.request.id,
            )
            return "failed"
        delay = retry_delay_seconds(self.request.retries)
        logger.warning("storage unavailable for %s; retry in %.1fs", asset_id, delay)
        raise self.retry(
            exc=error, countdown=delay, max_retries=settings.MEDIA_PROCESS_MAX_RETRIES
        ) from error
    except SoftTimeLimitExceeded:
        media_fail(
            asset_id=UUID(asset_id),
            code="processing_timeout",
            message="The image took too long to process.",
            task_id=self.request.id,
        )
        return "failed"
    except Exception:
        media_fail(
            asset_id=UUID(asset_id),
            code="processing_error",
            message="Processing failed unexpectedly; staff can reprocess this image.",
            task_id=self.request.id,
        )
        raise
    logger.info("processed %s: %s", asset_id, outcome)
    return outcome


@shared_task(name=task_names.SWEEP_STUCK)
def media_sweep_stuck_task() -> dict:
    report = media_sweep_stuck()
    return {
        "requeued": report.requeued,
        "failed": report.failed,
        "dispatched": report.dispatched,
    }
