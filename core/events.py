"""Domain events: how a lower app tells the apps above it that something changed.

An app never imports the apps above it. When one of its changes matters upstairs
(media settled, a post changed status, a draft was published), its service records
an event inside the transaction that makes the change; subscribers run once that
transaction commits, and never for one that rolls back. Apps subscribe in
`AppConfig.ready()`:

    event_subscribe(MEDIA_STATUS, posts_settle_on_media_event)

Subscribers run in the committing process, one after another; one that fails is
logged and does not stop the others (work that must not be lost also has a periodic
sweep).

Every event is also written to the outbox (`core.models.OutboxEvent`) in the same
transaction, so the live stream to clients (`core/event_stream.py`) sends an event
exactly when its change committed: never for a rollback, never lost with a process.
After the commit, `core/event_fanout.py` wakes the stream processes.
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

# The event types, each recorded by the app that owns the change.
MEDIA_STATUS = "media.status"  # media_uploads: an asset's status changed
POST_STATUS = "post.status"  # poster: a post's status changed
DRAFT_PUBLISHED = "draft.published"  # drafts: a draft became a post
DRAFT_SAVED = "draft.saved"  # drafts: an autosave or merge made a new version


@dataclass(frozen=True)
class DomainEvent:
    type: str
    owner_id: int
    object_id: str
    state: str
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)
    id: int | None = None  # the outbox row's id, which orders the live stream


Subscriber = Callable[[DomainEvent], None]
_subscribers: defaultdict[str, list[Subscriber]] = defaultdict(list)


def event_subscribe(event_type: str, subscriber: Subscriber) -> None:
    """Call `subscriber` for every committed event of `event_type` (once per pair)."""
    if subscriber not in _subscribers[event_type]:
        _subscribers[event_type].append(subscriber)


def event_record(
    *,
    type: str,  # noqa: A002 (the event's field name)
    owner_id: int,
    object_id: object,
    state: str,
    data: dict[str, Any] | None = None,
) -> DomainEvent:
    """Record an event of the current transaction; deliver it after the commit.

    Call it inside the transaction that makes the change, so its outbox row commits
    or rolls back with it. Outside a transaction (autocommit) the change is already
    committed, and the event is written and delivered at once.
    """
    from core.models import OutboxEvent  # models load after this module

    event = DomainEvent(
        type=type,
        owner_id=owner_id,
        object_id=str(object_id),
        state=str(state),
        at=timezone.now(),
        data=data or {},
    )
    row = OutboxEvent.objects.create(
        owner_id=owner_id,
        type=event.type,
        object_id=event.object_id,
        state=event.state,
        data=event.data,
        created_at=event.at,
    )
    event = replace(event, id=row.id)
    event_deliver_on_commit(event)
    return event


def event_deliver_on_commit(event: DomainEvent) -> None:
    """Deliver an event whose outbox row the caller wrote in its own SQL (a hot path
    that appends the insert to its statement) once the transaction commits."""
    transaction.on_commit(lambda: event_deliver(event))


def event_deliver(event: DomainEvent) -> None:
    """Run the subscribers of a committed event and wake the live stream."""
    from core.event_fanout import events_announce

    events_announce()
    for subscriber in list(_subscribers[event.type]):
        try:
            subscriber(event)
        except Exception:  # one subscriber's failure must not starve the others
            logger.exception("subscriber %s failed on %s", subscriber, event)
