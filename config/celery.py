"""The one Celery app. Workers and beat start with `celery -A config ...`."""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("poster")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def storage_client_build(**_: object) -> None:
    """Each pool child builds its storage client as it starts, not in its first task.

    boto3 loads S3's service model for a client (about 15 MiB): done lazily, a child
    that had not touched storage yet grew by that much in the middle of the soak, and
    its first image waited for it. Built here, a child starts at the size it keeps.
    """
    from media_uploads.storage import get_storage

    get_storage()
