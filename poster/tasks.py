from celery import shared_task

from poster.services import posts_publish_due


@shared_task(name="poster.publish_due")
def posts_publish_due_task() -> int:
    return posts_publish_due()
