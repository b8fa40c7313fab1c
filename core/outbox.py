"""Reads and upkeep of the event outbox (`OutboxEvent`), the live stream's source.

The stream process reads new rows in id order (`outbox_rows_after`) and, for a client
that reconnects with `Last-Event-ID`, that user's rows it missed (`outbox_replay`).
Rows older than EVENTS_REPLAY_SECONDS are deleted by `outbox_purge` (a periodic task).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone

from core.models import OutboxEvent

# More missed events than this is no replay but a reload: the client refetches.
REPLAY_MAX_EVENTS = 5000


@dataclass(frozen=True)
class OutboxRow:
    id: int
    owner_id: int
    type: str
    object_id: str
    state: str
    data: dict[str, Any]
    created_at: datetime


_COLUMNS = ("id", "owner_id", "type", "object_id", "state", "data", "created_at")


def outbox_last_id() -> int:
    return OutboxEvent.objects.aggregate(last=Max("id"))["last"] or 0


def outbox_rows_after(
    *, after_id: int, also_ids: Iterable[int] = (), limit: int = 1000
) -> list[OutboxRow]:
    """Rows past `after_id`, and those of `also_ids` that exist, in id order."""
    condition = Q(id__gt=after_id)
    also_ids = list(also_ids)
    if also_ids:
        condition |= Q(id__in=also_ids)
    rows = OutboxEvent.objects.filter(condition).order_by("id").values_list(*_COLUMNS)
    return [OutboxRow(*row) for row in rows[:limit]]


def outbox_replay(
    *, owner_id: int, after_id: int, up_to_id: int, now: datetime | None = None
) -> list[OutboxRow] | None:
    """The owner's events in (`after_id`, `up_to_id`], or None when they cannot all
    be given: some are older than EVENTS_REPLAY_SECONDS (maybe purged), `after_id`
    is ahead of every event, or more than REPLAY_MAX_EVENTS were missed."""
    if after_id >= up_to_id:
        # Ahead of this process's cursor: another events process may have sent it
        # while this one still waits on a gap. Nothing to replay, unless the id was
        # never given out (a database that was reset): then the client refetches.
        is_known = after_id == up_to_id or (
            OutboxEvent.objects.filter(id__gte=after_id).exists()
        )
        return [] if is_known else None
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.EVENTS_REPLAY_SECONDS)
    first_in_window = (
        OutboxEvent.objects.filter(created_at__gte=cutoff)
        .order_by("created_at")
        .values_list("id", flat=True)
        .first()
    )
    # Every id between after_id and the window's first event is older than the
    # window: those events may be gone, so the client must refetch instead.
    if first_in_window is None or after_id < first_in_window - 1:
        return None
    rows = list(
        OutboxEvent.objects.filter(owner_id=owner_id, id__gt=after_id, id__lte=up_to_id)
        .order_by("id")
        .values_list(*_COLUMNS)[: REPLAY_MAX_EVENTS + 1]
    )
    if len(rows) > REPLAY_MAX_EVENTS:
        return None
    return [OutboxRow(*row) for row in rows]


def outbox_purge(*, now: datetime | None = None) -> int:
    """Delete the events older than the replay window; how many went."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.EVENTS_REPLAY_SECONDS)
    deleted, _ = OutboxEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted
