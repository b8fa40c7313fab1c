"""Shared fixtures: users with tokens, API clients, a real Celery worker on Redis."""

import threading
import time
from collections.abc import Callable

import celery.contrib.testing.tasks  # noqa: F401  (registers celery.ping)
import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponseBase
from rest_framework.test import APIClient

from config.celery import app as celery_app
from core.accounts import api_user_ensure

pytest_plugins = ["tests.storage", "tests.service", "tests.events"]


def pytest_sessionstart(session: pytest.Session) -> None:
    # The suite proves behaviour against the production stack; refuse to pass on SQLite
    # or an in-memory broker by accident.
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        pytest.exit(f"tests need PostgreSQL (DATABASE_URL); got {engine}", returncode=2)
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.exit("tests need Redis (CELERY_BROKER_URL=redis://...)", returncode=2)


@pytest.fixture(autouse=True)
def generous_throttles(settings):
    """Tests send bursts no person would; throttling has tests of its own."""
    settings.API_THROTTLE_RATES = dict.fromkeys(
        settings.API_THROTTLE_RATES, "100000/min"
    )
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def user(db):
    return api_user_ensure(username="alice").user


@pytest.fixture
def other_user(db):
    return api_user_ensure(username="mallory").user


def token_client(username: str, *, is_staff: bool = False) -> APIClient:
    credentials = api_user_ensure(username=username, is_staff=is_staff)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {credentials.token}")
    client.user = credentials.user
    return client


def requests_burst(
    username: str,
    *,
    clients: int,
    requests_each: int,
    send: Callable[[APIClient], HttpResponseBase],
) -> list[int]:
    """`send` from `clients` threads at once, as one user; every answer's status.

    Each thread has its own database connection, so the requests race for real.
    """
    statuses: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(clients)

    def client_loop() -> None:
        client = token_client(username)
        try:
            start.wait(timeout=30)
            for _ in range(requests_each):
                statuses.append(send(client).status_code)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a client hung"
    assert errors == []
    return statuses


@pytest.fixture
def api(user) -> APIClient:
    return token_client(user.username)


@pytest.fixture
def other_api(other_user) -> APIClient:
    return token_client(other_user.username)


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker consuming from Redis in a thread of this process.

    Its tasks use their own database connections, so tests that use it see committed
    data only (transactional_db).
    """
    celery_app.conf.task_always_eager = False
    with start_worker(
        celery_app,
        pool="threads",
        concurrency=2,
        loglevel="WARNING",
        perform_ping_check=False,
        shutdown_timeout=30,
        queues=["celery", "media"],
    ) as worker:
        yield worker
    connection.close()


def wait_until(condition, timeout_seconds: float = 30) -> None:
    """Poll `condition` (work a real worker does) until it holds or time runs out."""
    deadline = time.monotonic() + timeout_seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
