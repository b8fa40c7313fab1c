from celery import shared_task

from poster.idempotency import idempotency_keys_purge
from poster.services import posts_publish_due


@shared_task(name="poster.idempotency_keys_purge")
def idempotency_keys_purge_task() -> int:
    return idempotency_keys_purge()


@shared_task(name="poster.publish_due")
def posts_publish_due_task() -> int:
    return posts_publish_due()
