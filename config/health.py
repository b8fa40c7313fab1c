"""Liveness and readiness probes.

`/healthz` answers while the process can serve at all and touches nothing else, so an
orchestrator never restarts a healthy web process because a dependency is down.
`/readyz` asks the database, the broker and the storage, and names each one that fails.
Only staff and callers on the loopback address see why (exception texts can name
hosts, paths and credentials' owners); everyone else sees the names alone.
"""

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from config.celery import app as celery_app
from media_uploads.storage import get_storage

logger = logging.getLogger("poster.health")

DEPENDENCY_TIMEOUT_SECONDS = 2


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_broker() -> None:
    with celery_app.connection_for_write(
        url=settings.CELERY_BROKER_URL, connect_timeout=DEPENDENCY_TIMEOUT_SECONDS
    ) as conn:
        conn.ensure_connection(max_retries=0, timeout=DEPENDENCY_TIMEOUT_SECONDS)


def check_storage() -> None:
    get_storage().check_ready()


READINESS_CHECKS = {
    "database": check_database,
    "broker": check_broker,
    "storage": check_storage,
}


LOOPBACK_ADDRESSES = ("127.0.0.1", "::1")


def _may_see_details(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    is_staff = bool(user and user.is_authenticated and user.is_staff)
    return is_staff or request.META.get("REMOTE_ADDR") in LOOPBACK_ADDRESSES


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    failing = {}
    for name, check in READINESS_CHECKS.items():
        try:
            check()
        except Exception as error:  # any failure means "not ready"; report it by name
            logger.warning("readiness check %s failed: %r", name, error)
            failing[name] = f"{type(error).__name__}: {error}"[:300]
    if failing:
        if not _may_see_details(request):
            failing = dict.fromkeys(failing, "unavailable")
        return JsonResponse({"status": "unavailable", "failing": failing}, status=503)
    return JsonResponse({"status": "ok"})
