"""The one Celery app. Workers and beat start with `celery -A config ...`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("poster")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
