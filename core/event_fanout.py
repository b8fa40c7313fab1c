"""Waking the live-stream processes when events commit.

The outbox table is the truth; the fan-out only says "read it now". With Redis
(EVENTS_REDIS_URL, by default the Celery broker when that is Redis) each commit that
recorded events PUBLISHes one small message on a channel, and every stream process,
subscribed to it, reads the new rows at once. Without Redis (the embedded default:
SQLite and the filesystem broker) the stream processes poll the table every
EVENTS_POLL_SECONDS. A lost message (a process that died between its commit and the
publish, a Redis blip) only delays delivery until the next poll, which runs in both
modes.

Why Redis pub/sub rather than PostgreSQL LISTEN/NOTIFY: a transaction that NOTIFYs
takes a database-wide lock at commit, so every autosave would queue behind every other
one; a PUBLISH after the commit costs one round trip to a server poster already uses.
"""

import logging
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


def events_announce() -> None:
    """Tell the stream processes that events committed (no-op without Redis)."""
    url = settings.EVENTS_REDIS_URL
    if not url:
        return
    try:
        _redis_client(url).publish(events_channel(url), b"1")
    except redis.RedisError as error:  # the stream's poll delivers them a bit later
        logger.warning("could not announce events: %s", error)
