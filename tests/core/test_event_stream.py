"""GET /api/v1/events/ through the real events process (uvicorn on a free port),
against PostgreSQL, Redis fan-out and a real Celery worker."""

import threading

import pytest
import requests
from django.db import connection, transaction
from PIL import Image

from core.events import event_record
from core.models import OutboxEvent
from drafts.services import draft_create
from poster.models import Community
from tests.conftest import token_client
from tests.drafts.conftest import autosave
from tests.events import EventsServer, of_type, sse_stream
from tests.media_uploads import image_factory
from tests.poster.test_post_waits_for_media import media_worker


@pytest.fixture
def draft(user):
    return draft_create(owner=user, changes={"title": "Hello", "body": "First words"})


def image_draft_completed(client, storage, tmp_path):
    """A draft holding an image that was leased, uploaded and completed over the API
    (no worker runs yet, so the image waits in `uploaded`)."""
    Community.objects.get_or_create(
        name="pics", defaults={"title": "Pictures", "allowed_kinds": ["image"]}
    )
    png = image_factory.encode(Image.new("RGB", (300, 200), "green"), "PNG")
    draft = client.post(
        "/api/v1/drafts/",
        {"kind": "image", "title": "Look", "community": "pics"},
        format="json",
    ).json()
    lease = client.post(
        "/api/v1/media/",
        {
            "filename": "g.png",
            "content_type": "image/png",
            "size_bytes": len(png),
            "draft": draft["id"],
        },
        format="json",
    ).json()
    source = tmp_path / "upload.png"
    source.write_bytes(png)
    # What the browser's direct upload to storage does.
    storage.put_file(
        f"uploads/{client.user.pk}/{lease['id']}",
        source,
        content_type="image/png",
        cache_control="private",
    )
    completed = client.post(f"/api/v1/media/{lease['id']}/complete/")
    assert completed.status_code == 202, completed.content
    return draft, lease["id"]


def test_stream_shows_an_image_processing_then_ready_then_its_post_published(
    events_server, local_storage, media_queue, tmp_path
):
    client = token_client("streamer")
    token = client._credentials["HTTP_AUTHORIZATION"].split()[1]

    with sse_stream(events_server.url, token) as stream:
        draft, media_id = image_draft_completed(client, local_storage, tmp_path)
        version = client.get(f"/api/v1/drafts/{draft['id']}/").json()["version"]
        published = client.post(
            f"/api/v1/drafts/{draft['id']}/publish/",
            {},
            format="json",
            HTTP_IF_MATCH=f'"{version}"',
        )
        post_id = published.json()["id"]
        with media_worker():
            events = stream.wait_for(
                lambda events: (
                    ("post.status", post_id, "published")
                    in of_type(events, "post.status")
                )
            )
        connection.close()

    assert published.status_code == 202
    assert of_type(events, "media.status", "post.status") == [
        ("media.status", media_id, "uploaded"),
        ("post.status", post_id, "pending_media"),
        ("media.status", media_id, "processing"),
        ("media.status", media_id, "ready"),
        ("post.status", post_id, "published"),
    ]
    ready = next(e["data"] for e in events if e["data"].get("status") == "ready")
    assert (ready["width"], ready["height"]) == (300, 200)
    assert {v["name"] for v in ready["variants"]} >= {"w160", "jpeg1080"}
    assert all(v["url"] and v["width"] > 0 for v in ready["variants"])
    ids = [int(event["id"]) for event in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


@pytest.mark.parametrize("in_query", [False, True])
def test_reconnecting_with_last_event_id_replays_every_missed_event_once_in_order(
    events_server, user, draft, in_query
):
    api = token_client(user.username)
    token = api._credentials["HTTP_AUTHORIZATION"].split()[1]
    with sse_stream(events_server.url, token) as first:
        autosave(api, draft.id, 1, title="seen")
        first.wait_for(lambda events: len(events) == 1)
    last_seen = first.last_id()

    for version, title in ((2, "missed one"), (3, "missed two")):
        assert autosave(api, draft.id, version, title=title).status_code == 200
    with sse_stream(
        events_server.url,
        token,
        last_event_id=last_seen,
        last_event_id_in_query=in_query,
    ) as second:
        autosave(api, draft.id, 4, body="live again")
        events = second.wait_for(lambda events: len(events) == 3)
        second.wait_for(lambda events: True, timeout_seconds=0.5)

    assert [(e["event"], e["data"]["version"]) for e in second.events] == [
        ("draft.saved", 3),
        ("draft.saved", 4),
        ("draft.saved", 5),
    ]
    assert [e["data"]["fields"] for e in events] == [["title"], ["title"], ["body"]]
    ids = [int(e["id"]) for e in events]
    assert ids == sorted(ids) and int(last_seen) < ids[0]


def test_a_rolled_back_change_sends_nothing(events_server, user, draft):
    api = token_client(user.username)
    token = api._credentials["HTTP_AUTHORIZATION"].split()[1]
    with sse_stream(events_server.url, token) as stream:
        with pytest.raises(RuntimeError), transaction.atomic():
            event_record(
                type="post.status", owner_id=user.pk, object_id="gone", state="x"
            )
            raise RuntimeError("the change fails after recording its event")
        autosave(api, draft.id, 1, title="after the rollback")
        events = stream.wait_for(lambda events: len(events) >= 1)
        stream.wait_for(lambda events: True, timeout_seconds=1.5)  # the gap's wait

    assert [e["event"] for e in stream.events] == ["draft.saved"]
    assert not OutboxEvent.objects.filter(object_id="gone").exists()
    assert events[0]["data"]["version"] == 2


def test_an_event_committed_late_is_not_overtaken_by_a_later_id(events_server, user):
    """Ids are taken at insert, visible at commit: the stream keeps id order."""
    token = token_client(user.username)._credentials["HTTP_AUTHORIZATION"].split()[1]
    recorded, release = threading.Event(), threading.Event()

    def slow_transaction() -> None:
        with transaction.atomic():
            event_record(type="post.status", owner_id=user.pk, object_id="a", state="1")
            recorded.set()
            release.wait(10)
        connection.close()

    with sse_stream(events_server.url, token) as stream:
        slow = threading.Thread(target=slow_transaction)
        slow.start()
        assert recorded.wait(10)
        event_record(type="post.status", owner_id=user.pk, object_id="b", state="2")
        stream.wait_for(lambda events: True, timeout_seconds=0.3)
        release.set()
        slow.join(10)
        events = stream.wait_for(lambda events: len(events) == 2)

    assert [e["data"]["id"] for e in events] == ["a", "b"]


def test_another_users_stream_stays_silent(events_server, user, other_user, draft):
    api = token_client(user.username)
    alice = api._credentials["HTTP_AUTHORIZATION"].split()[1]
    other = token_client(other_user.username)
    mallory = other._credentials["HTTP_AUTHORIZATION"].split()[1]
    with (
        sse_stream(events_server.url, alice) as alices,
        sse_stream(events_server.url, mallory) as mallorys,
    ):
        autosave(api, draft.id, 1, title="private")
        alices.wait_for(lambda events: len(events) == 1)
        mallorys.wait_for(lambda events: True, timeout_seconds=1)
        # Last-Event-ID does not open another user's past either.
        with sse_stream(events_server.url, mallory, last_event_id="0") as replayed:
            replayed.wait_for(lambda events: True, timeout_seconds=1)

    assert alices.events[0]["data"]["id"] == str(draft.id)
    assert mallorys.events == []
    assert [e["event"] for e in replayed.events] in ([], ["stream.reset"])


def test_a_signed_in_browser_session_opens_the_stream(
    events_server, user, draft, client, settings
):
    client.force_login(user)
    session = {
        settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value
    }
    api = token_client(user.username)

    with sse_stream(events_server.url, None, cookies=session) as stream:
        autosave(api, draft.id, 1, title="seen in the browser")
        events = stream.wait_for(lambda events: len(events) == 1)

    assert (events[0]["event"], events[0]["data"]["id"]) == (
        "draft.saved",
        str(draft.id),
    )


def test_anonymous_and_bad_tokens_get_401(events_server):
    anonymous = requests.get(events_server.url, timeout=10)
    wrong = requests.get(
        events_server.url, headers={"Authorization": "Token nope"}, timeout=10
    )

    assert (anonymous.status_code, wrong.status_code) == (401, 401)
    assert anonymous.json()["error"]["code"] == "not_authenticated"
    assert wrong.json()["error"]["code"] == "authentication_failed"
    assert anonymous.headers["WWW-Authenticate"] == "Token"


def test_a_last_event_id_that_is_no_id_gets_400(events_server, user):
    token = token_client(user.username)._credentials["HTTP_AUTHORIZATION"].split()[1]
    answer = requests.get(
        events_server.url,
        headers={"Authorization": f"Token {token}", "Last-Event-ID": "abc"},
        timeout=10,
    )

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "last_event_id_invalid"


def test_a_last_event_id_older_than_the_replay_window_gets_a_reset_event(
    events_server, user, draft
):
    api = token_client(user.username)
    token = api._credentials["HTTP_AUTHORIZATION"].split()[1]
    autosave(api, draft.id, 1, title="long ago")
    old = OutboxEvent.objects.get(owner=user)
    OutboxEvent.objects.filter(id=old.id).update(
        created_at=old.created_at.replace(year=old.created_at.year - 1)
    )
    autosave(api, draft.id, 2, title="recent, but the client missed the one before")

    with sse_stream(events_server.url, token, last_event_id=str(old.id - 1)) as stale:
        events = stale.wait_for(lambda events: len(events) == 1)
        autosave(api, draft.id, 3, title="live")
        events = stale.wait_for(lambda events: len(events) == 2)

    assert [e["event"] for e in events] == ["stream.reset", "draft.saved"]
    assert events[0]["data"]["code"] == "replay_unavailable"
    assert events[1]["data"]["version"] == 4


def test_stream_sets_retry_heartbeats_and_no_buffering_headers(user, transactional_db):
    server = EventsServer(EVENTS_HEARTBEAT_SECONDS="0.2").start()
    token = token_client(user.username)._credentials["HTTP_AUTHORIZATION"].split()[1]
    try:
        with sse_stream(server.url, token) as stream:
            headers = stream.response.headers
            stream.wait_for(lambda events: stream.comments.count("heartbeat") >= 2)
    finally:
        server.kill()

    assert headers["Content-Type"] == "text/event-stream"
    assert headers["Cache-Control"] == "no-cache"
    assert headers["X-Accel-Buffering"] == "no"
    assert "Content-Encoding" not in headers
    assert stream.retry == [3000]


def test_streams_past_the_per_user_limit_get_429(user, transactional_db):
    server = EventsServer(EVENTS_MAX_STREAMS_PER_USER="2").start()
    token = token_client(user.username)._credentials["HTTP_AUTHORIZATION"].split()[1]
    try:
        with sse_stream(server.url, token), sse_stream(server.url, token) as second:
            third = requests.get(
                server.url, headers={"Authorization": f"Token {token}"}, timeout=10
            )
            second.close()
            # A closed stream frees its slot.
            with sse_stream(server.url, token) as fourth:
                fourth_status = fourth.response.status_code
    finally:
        server.kill()

    assert third.status_code == 429
    assert third.json()["error"]["code"] == "too_many_streams"
    assert fourth_status == 200


def test_a_killed_events_process_is_replaced_and_clients_replay(user, draft):
    api = token_client(user.username)
    token = api._credentials["HTTP_AUTHORIZATION"].split()[1]
    server = EventsServer().start()
    try:
        with sse_stream(server.url, token) as stream:
            autosave(api, draft.id, 1, title="before the crash")
            stream.wait_for(lambda events: len(events) == 1)
            server.kill()
            assert stream.is_closed.wait(10)
        last_seen = stream.last_id()
        autosave(api, draft.id, 2, title="while no events process ran")
        replacement = EventsServer().start()
        with sse_stream(replacement.url, token, last_event_id=last_seen) as resumed:
            autosave(api, draft.id, 3, title="after")
            events = resumed.wait_for(lambda events: len(events) == 2)
    finally:
        server.kill()
        if "replacement" in locals():
            replacement.kill()

    assert [e["data"]["version"] for e in events] == [3, 4]


test_a_killed_events_process_is_replaced_and_clients_replay = pytest.mark.django_db(
    transaction=True
)(test_a_killed_events_process_is_replaced_and_clients_replay)
