"""Every change a client may wait for writes its event to the outbox, in the change's
transaction; the WSGI path points clients at the events process."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from PIL import Image

from core.events import event_record
from core.models import OutboxEvent
from core.outbox import outbox_replay
from core.tasks import events_purge_task
from drafts.services import draft_create
from media_uploads.services import media_complete, media_lease_create
from media_uploads.services.processing import media_fail, media_process_claim
from media_uploads.services.repair import media_reprocess
from poster.models import Post
from poster.services import posts_publish_due
from tests.drafts.conftest import autosave
from tests.media_uploads import image_factory
from tests.poster.conftest import draft_with_media, publish


def outbox(owner) -> list[tuple[str, str, str, dict]]:
    return [
        (row.type, row.object_id, row.state, row.data)
        for row in OutboxEvent.objects.filter(owner=owner).order_by("id")
    ]


@pytest.fixture
def draft(user):
    return draft_create(owner=user, changes={"title": "Hello", "body": "First words"})


def test_a_rolled_back_change_leaves_no_event(user):
    with pytest.raises(RuntimeError), transaction.atomic():
        event_record(type="post.status", owner_id=user.pk, object_id="p", state="x")
        raise RuntimeError()

    assert outbox(user) == []


def test_autosave_records_draft_saved_with_version_and_fields(api, user, draft):
    autosave(api, draft.id, 1, title="One", body="Two")

    assert outbox(user) == [
        (
            "draft.saved",
            str(draft.id),
            "saved",
            {"version": 2, "fields": ["body", "title"], "merged": False},
        )
    ]


def test_a_merged_autosave_says_merged(api, user, draft):
    autosave(api, draft.id, 1, title="From the phone")
    autosave(api, draft.id, 1, body="From the laptop")

    assert [data for *_, data in outbox(user)] == [
        {"version": 2, "fields": ["title"], "merged": False},
        {"version": 3, "fields": ["body"], "merged": True},
    ]


def test_a_refused_autosave_records_nothing(api, user, draft):
    autosave(api, draft.id, 1, title="First")
    conflict = autosave(api, draft.id, 1, title="Clashing")

    assert conflict.status_code == 412
    assert len(outbox(user)) == 1


def test_restoring_a_revision_records_draft_saved(api, user, draft, settings):
    settings.DRAFT_REVISION_INTERVAL = 0
    autosave(api, draft.id, 1, title="Changed")
    restored = api.post(
        f"/api/v1/drafts/{draft.id}/revisions/1/restore/",
        {},
        format="json",
        HTTP_IF_MATCH='"2"',
    )

    assert restored.status_code == 200, restored.content
    assert outbox(user)[-1][3]["version"] == 3
    assert outbox(user)[-1][0] == "draft.saved"


def test_media_records_uploaded_processing_and_failed(user, local_storage, tmp_path):
    png = image_factory.encode(Image.new("RGB", (20, 20), "red"), "PNG")
    asset = media_lease_create(
        owner=user, filename="a.png", content_type="image/png", size_bytes=len(png)
    ).asset
    source = tmp_path / "a.png"
    source.write_bytes(png)
    local_storage.put_file(
        asset.original_key, source, content_type="image/png", cache_control="private"
    )

    media_complete(asset_id=asset.id, owner=user)
    media_process_claim(asset_id=asset.id, task_id="t1", now=timezone.now())
    media_fail(asset_id=asset.id, code="corrupt_image", message="Broken.")
    media_reprocess(asset_id=asset.id)

    assert outbox(user) == [
        ("media.status", str(asset.id), "uploaded", {}),
        ("media.status", str(asset.id), "processing", {}),
        (
            "media.status",
            str(asset.id),
            "failed",
            {"code": "corrupt_image", "message": "Broken."},
        ),
        ("media.status", str(asset.id), "uploaded", {}),
    ]


def test_a_claim_that_loses_records_nothing(user):
    asset = media_lease_create(
        owner=user, filename="a.png", content_type="image/png", size_bytes=10
    ).asset  # awaiting upload: not claimable

    claimed = media_process_claim(asset_id=asset.id, task_id="t", now=timezone.now())

    assert claimed is None
    assert outbox(user) == []


@pytest.fixture
def community(db):
    from poster.models import Community

    return Community.objects.create(
        name="pics", title="Pictures", allowed_kinds=["image"]
    )


def test_a_scheduled_post_records_scheduled_then_published(api, user, community):
    draft, _ = draft_with_media(user)
    publish_at = timezone.now() + timedelta(hours=1)
    post_id = publish(api, draft, publish_at=publish_at.isoformat()).json()["id"]
    posts_publish_due(now=publish_at + timedelta(seconds=1))

    post_events = [
        (state, object_id)
        for kind, object_id, state, _ in outbox(user)
        if kind == "post.status"
    ]
    assert post_events == [("scheduled", post_id), ("published", post_id)]


def test_a_due_post_still_waiting_for_media_records_pending_media(api, user, community):
    draft, _ = draft_with_media(user, statuses=("processing",))
    publish_at = timezone.now() + timedelta(hours=1)
    post_id = publish(api, draft, publish_at=publish_at.isoformat()).json()["id"]
    posts_publish_due(now=publish_at + timedelta(seconds=1))

    assert Post.objects.get(id=post_id).status == "pending_media"
    assert [s for k, _, s, _ in outbox(user) if k == "post.status"] == [
        "scheduled",
        "pending_media",
    ]


def test_cancelling_a_scheduled_post_records_cancelled(api, user, community):
    draft, _ = draft_with_media(user)
    post_id = publish(
        api, draft, publish_at=(timezone.now() + timedelta(days=1)).isoformat()
    ).json()["id"]
    api.post(f"/api/v1/posts/{post_id}/cancel/")

    assert outbox(user)[-1] == (
        "post.status",
        post_id,
        "cancelled",
        {"draft_id": str(draft.id)},
    )


def test_deleting_a_post_records_removed(api, user, community):
    draft, _ = draft_with_media(user)
    post_id = publish(api, draft).json()["id"]
    api.delete(f"/api/v1/posts/{post_id}/")

    assert [s for k, _, s, _ in outbox(user) if k == "post.status"] == [
        "published",
        "removed",
    ]


def test_the_purge_deletes_only_events_older_than_the_replay_window(user, settings):
    settings.EVENTS_REPLAY_SECONDS = 600
    old = event_record(type="post.status", owner_id=user.pk, object_id="o", state="x")
    OutboxEvent.objects.filter(id=old.id).update(
        created_at=timezone.now() - timedelta(seconds=601)
    )
    kept = event_record(type="post.status", owner_id=user.pk, object_id="k", state="x")

    assert events_purge_task() == 1
    assert list(OutboxEvent.objects.values_list("id", flat=True)) == [kept.id]
    assert "events-purge" in settings.CELERY_BEAT_SCHEDULE


def test_the_web_process_answers_421_with_the_events_url(api, settings):
    settings.EVENTS_URL = "https://events.example.com/api/v1/events/"

    answer = api.get("/api/v1/events/")
    me = api.get("/api/v1/me/")

    assert answer.status_code == 421
    assert answer.json()["error"]["code"] == "events_served_elsewhere"
    assert answer.json()["error"]["events_url"] == settings.EVENTS_URL
    assert me.json()["events_url"] == settings.EVENTS_URL


@pytest.mark.parametrize(
    ("header", "query"), [("5", "x"), ("x", "5"), ("", "-1"), ("1" * 19, "")]
)
def test_every_last_event_id_given_must_be_an_id(api, header, query):
    answer = api.get(
        "/api/v1/events/", {"last_event_id": query}, HTTP_LAST_EVENT_ID=header
    )

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "last_event_id_invalid"


def test_the_web_process_answers_401_to_anonymous_callers(client, db):
    answer = client.get("/api/v1/events/", HTTP_ACCEPT="text/event-stream")

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "not_authenticated"


def test_the_schema_documents_the_stream(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/events/"]["get"]

    assert operation["operationId"] == "events_stream"
    assert "text/event-stream" in operation["responses"]["200"]["content"]
    assert {"400", "401", "421", "429"} <= set(operation["responses"])
    assert {p["name"] for p in operation["parameters"]} == {
        "Last-Event-ID",
        "last_event_id",
    }
    me = schema["components"]["schemas"]["Me"]
    assert "events_url" in me["required"]


def test_replay_gives_the_owners_missed_events_in_order(user, other_user):
    seen = event_record(type="t", owner_id=user.pk, object_id="1", state="x")
    mine = event_record(type="t", owner_id=user.pk, object_id="2", state="x")
    event_record(type="t", owner_id=other_user.pk, object_id="3", state="x")
    last = event_record(type="t", owner_id=user.pk, object_id="4", state="x")

    rows = outbox_replay(owner_id=user.pk, after_id=seen.id, up_to_id=last.id)

    assert [row.id for row in rows] == [mine.id, last.id]


def test_replay_from_an_id_ahead_of_the_cursor_is_empty_not_a_reset(user):
    """Another events process sent it while this one waits on a gap."""
    held_back = event_record(type="t", owner_id=user.pk, object_id="1", state="x")
    sent_elsewhere = event_record(type="t", owner_id=user.pk, object_id="2", state="x")

    assert (
        outbox_replay(
            owner_id=user.pk, after_id=sent_elsewhere.id, up_to_id=held_back.id - 1
        )
        == []
    )
    assert (
        outbox_replay(
            owner_id=user.pk, after_id=sent_elsewhere.id + 1000, up_to_id=held_back.id
        )
        is None
    )
