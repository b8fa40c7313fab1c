"""Waking the live-stream processes when events commit.

The outbox table is the truth; the fan-out only says "read it now". With Redis
(EVENTS_REDIS_URL, by default the Celery broker when that is Redis) each commit that
recorded events PUBLISHes one small message on a channel, and every stream process,
subscribed to it, reads the new rows at once. The PUBLISH is sent from a thread,
merging wake-ups that come while one is in flight: a commit costs no round trip.
Without Redis (the embedded default: SQLite and the filesystem broker) the stream
processes poll the table every EVENTS_POLL_SECONDS. A lost message (a process that
died between its commit and the publish, a Redis blip) only delays delivery until the
next poll, which runs in both modes.

Why Redis pub/sub rather than PostgreSQL LISTEN/NOTIFY: a transaction that NOTIFYs
takes a database-wide lock at commit, so every autosave would queue behind every other
one; a PUBLISH after the commit goes to a server poster already uses, off the
request's path.
"""

import logging
import os
import threading
import time
from functools import cache
from urllib.parse import urlparse

import redis
from django.conf import settings

logger = logging.getLogger(__name__)


def events_channel(url: str) -> str:
    """Pub/sub channels are server-wide; name the database so deployments sharing a
    Redis server on different databases do not wake each other."""
    database = urlparse(url).path.strip("/") or "0"
    return f"poster:events:{database}"


@cache
def _redis_client(url: str) -> redis.Redis:
    # Short timeouts: a Redis outage must not hold up the request that committed.
    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)


class _Announcer:
    """Publishes from a thread of its own, so a commit never waits for Redis; wake-ups
    asked for while one is being sent are merged into the next."""

    def __init__(self) -> None:
        self._pending = threading.Event()
        self._pid: int | None = None
        self._lock = threading.Lock()

    def announce(self, url: str) -> None:
        if self._pid != os.getpid():  # first use in this process, or after a fork
            with self._lock:
                if self._pid != os.getpid():
                    self._pending = threading.Event()
                    threading.Thread(
                        target=self._run, args=(url,), daemon=True, name="events"
                    ).start()
                    self._pid = os.getpid()
        self._pending.set()

    def _run(self, url: str) -> None:
        pending = self._pending
        while True:
            pending.wait()
            pending.clear()
            try:
                _redis_client(url).publish(events_channel(url), b"1")
            except redis.RedisError as error:  # the streams' poll catches up
                logger.warning("could not announce events: %s", error)
                time.sleep(0.5)


_announcer = _Announcer()


def events_announce() -> None:
    """Tell the stream processes that events committed (no-op without Redis)."""
    url = settings.EVENTS_REDIS_URL
    if url:
        _announcer.announce(url)
