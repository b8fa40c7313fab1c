from celery import shared_task
from celery.utils.log import get_task_logger

from media_uploads.services import media_cleanup, stored_objects_delete

logger = get_task_logger(__name__)


@shared_task(
    name="media_uploads.delete_stored_objects",
    bind=True,
    max_retries=8,
    retry_backoff=True,
)
def stored_objects_delete_task(self, keys: list[str] | None = None) -> int:
    """Delete recorded objects; retry with backoff while storage refuses.

    Rows of keys that still fail after the retries stay, and the periodic run
    (keys=None) tries them again.
    """
    failed = stored_objects_delete(keys=keys)
    if failed and keys is not None:
        logger.warning("could not delete %d objects yet; retrying", len(failed))
        raise self.retry(countdown=min(600, 2**self.request.retries * 5))
    return len(failed)


@shared_task(name="media_uploads.cleanup")
def media_cleanup_task() -> dict:
    report = media_cleanup()
    return {
        "completed": report.completed,
        "expired": report.expired,
        "deleted": report.deleted,
    }
