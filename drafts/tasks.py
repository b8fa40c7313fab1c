from celery import shared_task

from drafts.services import drafts_purge_deleted


@shared_task(name="drafts.purge_deleted")
def drafts_purge_deleted_task() -> int:
    return drafts_purge_deleted()
