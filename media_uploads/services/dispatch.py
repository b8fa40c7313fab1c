"""Sending media tasks to the workers (call these after commit)."""

from uuid import UUID

from celery import current_app

from media_uploads import task_names


def media_process_enqueue(asset_id: UUID, *, priority: int = 0) -> None:
    """Send process_image; on Redis, priority 0 is taken first (kombu keeps one list
    per step: 0, 3, 6, 9), other brokers ignore it."""
    current_app.send_task(
        task_names.PROCESS_IMAGE, args=[str(asset_id)], priority=priority
    )


def stored_objects_delete_enqueue(keys: list[str]) -> None:
    current_app.send_task(task_names.DELETE_STORED_OBJECTS, args=[keys])
