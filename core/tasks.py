from celery import shared_task

from core.idempotency import idempotency_keys_purge
from core.outbox import outbox_purge


@shared_task(name="core.idempotency_keys_purge")
def idempotency_keys_purge_task() -> int:
    return idempotency_keys_purge()


@shared_task(name="core.events_purge")
def events_purge_task() -> int:
    return outbox_purge()
