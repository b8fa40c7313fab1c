"""The live stream's hub: one per events process, shared by every open stream.

A stream registers a `Listener` for its user. The hub reads the outbox
(`core.outbox`) whenever the fan-out wakes it (`core.event_fanout`) or its poll
interval passes, and hands each new row, already formatted as one SSE message, to
the listeners of the row's owner. Nothing per stream runs while it is idle: a stream
is one coroutine waiting on its listener with a heartbeat timeout.

Order and completeness. Outbox ids come from a sequence, and transactions commit in
any order: id 8 may become visible before id 7. The hub delivers in id order and
holds rows behind a gap for up to GAP_WAIT_SECONDS, so that a client whose last id
is 8 has really seen 7. A gap still open after that is a rolled-back transaction (or
a very slow one): the hub moves on, and keeps looking for those ids for
LATE_WATCH_SECONDS, delivering any that turn up late rather than losing them.
"""

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from django.conf import settings
from django.db import close_old_connections

from core.errors import TooManyRequests
from core.event_fanout import events_channel
from core.outbox import OutboxRow, outbox_last_id, outbox_replay, outbox_rows_after

logger = logging.getLogger(__name__)

GAP_WAIT_SECONDS = 1.0
LATE_WATCH_SECONDS = 60.0
# Ids of one gap the hub waits for; a larger jump (a sequence advanced after a
# crash) is passed at once.
GAP_MAX_IDS = 1000
READ_BATCH = 1000
# A stream that falls this far behind is closed; its client reconnects and replays.
LISTENER_MAX_PENDING = 1000
RESET_EVENT = "stream.reset"

# The outbox is read through the ORM, which blocks: a few threads do it for every
# stream of the process, so open streams cost no thread (and no connection) each.
_db_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="events-db")


def _with_fresh_connection(function: Callable[..., Any], kwargs: dict) -> Any:
    close_old_connections()  # as a request or a Celery task would: drop broken ones
    return function(**kwargs)


async def run_db(function: Callable[..., Any], /, **kwargs: Any) -> Any:
    """Run blocking database work off the event loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        _db_executor, partial(_with_fresh_connection, function, kwargs)
    )


class TooManyStreams(TooManyRequests):
    code = "too_many_streams"
    message = "You have too many event streams open; close one first."


def sse_message(row: OutboxRow) -> bytes:
    """One event as SSE: its outbox id, its type and its data as JSON."""
    data = {
        "id": row.object_id,
        "status": row.state,
        **row.data,
        "at": row.created_at.isoformat().replace("+00:00", "Z"),
    }
    body = json.dumps(data, separators=(",", ":"), default=str)
    return f"id: {row.id}\nevent: {row.type}\ndata: {body}\n\n".encode()


def sse_reset(last_id: int) -> bytes:
    body = json.dumps(
        {
            "code": "replay_unavailable",
            "message": "Events since your Last-Event-ID are no longer kept; "
            "refetch what you show, then keep listening.",
        },
        separators=(",", ":"),
    )
    return f"id: {last_id}\nevent: {RESET_EVENT}\ndata: {body}\n\n".encode()


class Listener:
    """What one open stream is waiting for: messages and a flag to wake it."""

    __slots__ = ("owner_id", "pending", "ready", "overflowed")

    def __init__(self, owner_id: int) -> None:
        self.owner_id = owner_id
        self.pending: deque[tuple[int, bytes]] = deque()
        self.ready = asyncio.Event()
        self.overflowed = False

    def offer(self, event_id: int, message: bytes) -> None:
        if len(self.pending) >= LISTENER_MAX_PENDING:
            self.overflowed = True
        else:
            self.pending.append((event_id, message))
        self.ready.set()


class EventHub:
    def __init__(self) -> None:
        self.cursor = 0  # every id up to here was delivered or given up on
        self.listeners: dict[int, set[Listener]] = {}
        self._waiting_for: dict[int, float] = {}  # gap id -> until when to wait
        self._late: dict[int, float] = {}  # gap id passed -> until when to look
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        # Streams per user, reserved before the stream starts (in a worker thread).
        self._counts: dict[int, int] = {}
        self._counts_lock = threading.Lock()

    async def start(self) -> None:
        self.cursor = await run_db(outbox_last_id)
        self._tasks.append(asyncio.create_task(self._read_loop()))
        if settings.EVENTS_REDIS_URL:
            self._tasks.append(asyncio.create_task(self._redis_loop()))

    def stream_reserve(self, owner_id: int) -> None:
        """Count a stream of `owner_id`; refuse past EVENTS_MAX_STREAMS_PER_USER."""
        with self._counts_lock:
            count = self._counts.get(owner_id, 0)
            if count >= settings.EVENTS_MAX_STREAMS_PER_USER:
                raise TooManyStreams()
            self._counts[owner_id] = count + 1

    def stream_release(self, owner_id: int) -> None:
        with self._counts_lock:
            count = self._counts.get(owner_id, 0) - 1
            if count > 0:
                self._counts[owner_id] = count
            else:
                self._counts.pop(owner_id, None)

    def listen(self, owner_id: int) -> tuple[Listener, int]:
        """A listener for `owner_id` and the id it receives events after."""
        listener = Listener(owner_id)
        self.listeners.setdefault(owner_id, set()).add(listener)
        return listener, self.cursor

    def unlisten(self, listener: Listener) -> None:
        listeners = self.listeners.get(listener.owner_id)
        if listeners is not None:
            listeners.discard(listener)
            if not listeners:
                del self.listeners[listener.owner_id]

    def wake(self) -> None:
        self._wake.set()

    async def _read_loop(self) -> None:
        while True:
            timeout = settings.EVENTS_POLL_SECONDS
            if self._waiting_for:
                until_gap = min(self._waiting_for.values()) - time.monotonic()
                timeout = max(0.01, min(timeout, until_gap))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self._read()
            except Exception:  # the database is away: try again at the next poll
                logger.exception("reading the event outbox failed")
                await asyncio.sleep(settings.EVENTS_POLL_SECONDS)

    async def _read(self) -> None:
        now = time.monotonic()
        self._late = {id_: until for id_, until in self._late.items() if until > now}
        rows = await run_db(
            outbox_rows_after,
            after_id=self.cursor,
            also_ids=list(self._late),
            limit=READ_BATCH,
        )
        now = time.monotonic()
        for row in rows:
            if row.id <= self.cursor:
                if self._late.pop(row.id, None) is not None:
                    self._dispatch(row)  # committed after its gap was passed
                continue
            gap = range(max(self.cursor + 1, row.id - GAP_MAX_IDS), row.id)
            if gap:
                for id_ in gap:
                    self._waiting_for.setdefault(id_, now + GAP_WAIT_SECONDS)
                if any(self._waiting_for[id_] > now for id_ in gap):
                    return  # hold this row and the rest until the gap fills
                for id_ in gap:
                    del self._waiting_for[id_]
                    self._late[id_] = now + LATE_WATCH_SECONDS
            self._waiting_for.pop(row.id, None)
            self.cursor = row.id
            self._dispatch(row)
        if len(rows) == READ_BATCH:
            self._wake.set()  # more to read

    def _dispatch(self, row: OutboxRow) -> None:
        listeners = self.listeners.get(row.owner_id)
        if not listeners:
            return
        message = sse_message(row)
        for listener in listeners:
            listener.offer(row.id, message)

    async def _redis_loop(self) -> None:
        from redis import asyncio as redis_asyncio

        url = settings.EVENTS_REDIS_URL
        while True:
            client = redis_asyncio.Redis.from_url(url)
            try:
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                await pubsub.subscribe(events_channel(url))
                self._wake.set()  # catch up with what committed while unsubscribed
                async for _message in pubsub.listen():
                    self._wake.set()
            except Exception as error:  # Redis away: polling carries on meanwhile
                logger.warning("event fan-out subscription lost: %s", error)
                await asyncio.sleep(1)
            finally:
                with contextlib.suppress(Exception):
                    await client.aclose()


_hub: EventHub | None = None
_hub_lock = asyncio.Lock()


async def event_hub() -> EventHub:
    """This process's hub, started on first use (it needs the running loop)."""
    global _hub
    if _hub is None:
        async with _hub_lock:
            if _hub is None:
                hub = EventHub()
                await hub.start()
                _hub = hub
    return _hub


def event_hub_if_started() -> EventHub | None:
    return _hub


async def event_stream_messages(
    hub: EventHub, *, owner_id: int, last_event_id: int | None
) -> AsyncIterator[bytes]:
    """The SSE body of one stream: retry, replay, then live events and heartbeats."""
    listener, cursor = hub.listen(owner_id)
    try:
        yield f"retry: {settings.EVENTS_RETRY_MILLISECONDS}\n: connected\n\n".encode()
        replayed: set[int] = set()
        already_seen = last_event_id or 0
        if last_event_id is not None:
            rows = await run_db(
                outbox_replay,
                owner_id=owner_id,
                after_id=last_event_id,
                up_to_id=cursor,
            )
            if rows is None:
                already_seen = 0  # the client's id means nothing here: start afresh
                yield sse_reset(cursor)
            elif rows:
                replayed = {row.id for row in rows}
                yield b"".join(sse_message(row) for row in rows)
        while True:
            if not listener.pending and not listener.overflowed:
                listener.ready.clear()
                try:
                    async with asyncio.timeout(settings.EVENTS_HEARTBEAT_SECONDS):
                        await listener.ready.wait()
                except TimeoutError:
                    yield b": heartbeat\n\n"
                    continue
            if listener.overflowed:
                return  # too slow a reader: it reconnects and replays from its id
            # Skip what the client already has: the replay, and ids up to its
            # Last-Event-ID (it may be ahead of this process's cursor).
            messages = [
                message
                for event_id, message in listener.pending
                if event_id not in replayed and event_id > already_seen
            ]
            listener.pending.clear()
            if messages:
                yield b"".join(messages)
    finally:
        hub.unlisten(listener)
