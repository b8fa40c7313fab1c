"""Domain events reach subscribers once their transaction commits, and only then."""

import pytest
from django.db import transaction

from core import events
from core.events import event_record, event_subscribe


@pytest.fixture
def received():
    seen = []

    def subscriber(event):
        seen.append(event)

    event_subscribe("test.happened", subscriber)
    yield seen
    events._subscribers["test.happened"].remove(subscriber)


@pytest.mark.django_db(transaction=True)
def test_an_event_is_delivered_after_its_transaction_commits(received):
    with transaction.atomic():
        event_record(type="test.happened", owner_id=7, object_id="a", state="ready")
        assert received == []

    assert [(e.type, e.owner_id, e.object_id, e.state) for e in received] == [
        ("test.happened", 7, "a", "ready")
    ]
    assert received[0].at is not None


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_sends_nothing(received):
    with pytest.raises(RuntimeError), transaction.atomic():
        event_record(type="test.happened", owner_id=7, object_id="a", state="x")
        raise RuntimeError("roll back")

    assert received == []


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_event_is_delivered_at_once(received):
    event_record(type="test.happened", owner_id=1, object_id="b", state="y")

    assert [e.object_id for e in received] == ["b"]


@pytest.mark.django_db(transaction=True)
def test_a_failing_subscriber_does_not_starve_the_others(received):
    def broken(event):
        raise ValueError("broken subscriber")

    events._subscribers["test.happened"].insert(0, broken)
    try:
        event_record(type="test.happened", owner_id=1, object_id="c", state="z")
    finally:
        events._subscribers["test.happened"].remove(broken)

    assert [e.object_id for e in received] == ["c"]


def test_subscribing_twice_delivers_once(received):
    event_subscribe("test.happened", events._subscribers["test.happened"][0])

    assert len(events._subscribers["test.happened"]) == 1


def test_poster_subscribes_to_media_settling():
    from poster.services import posts_settle_on_media_event

    assert posts_settle_on_media_event in events._subscribers[events.MEDIA_STATUS]
