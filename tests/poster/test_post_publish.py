import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from drafts.models import Draft
from media_uploads.models import MediaAsset
from poster.models import Community, Post, PostMedia
from poster.services import posts_publish_due
from tests.conftest import token_client
from tests.poster.conftest import draft_with_media, publish


def test_publish_with_ready_media_answers_201_and_consumes_the_draft(
    api, user, community
):
    draft, (asset,) = draft_with_media(user)
    MediaAsset.objects.filter(id=asset.id).update(caption="golden", alt_text="sun")

    response = publish(api, draft)

    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["title"], body["community"], body["kind"]) == (
        "published",
        "A sunset",
        "pics",
        "image",
    )
    assert body["published_at"] is not None
    assert [m["id"] for m in body["media"]] == [str(asset.id)]
    post = Post.objects.get(id=body["id"])
    assert post.source_draft_id == draft.id
    assert list(
        PostMedia.objects.filter(post=post).values_list("caption", "alt_text")
    ) == [("golden", "sun")]
    assert api.get(f"/api/v1/drafts/{draft.id}/").status_code == 404
    edit = api.patch(
        f"/api/v1/drafts/{draft.id}/",
        {"title": "x"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert edit.status_code == 409
    assert edit.json()["error"]["code"] == "draft_published"


def test_publish_needs_if_match_and_refuses_a_stale_one(api, user, community):
    draft, _ = draft_with_media(user)
    api.patch(
        f"/api/v1/drafts/{draft.id}/",
        {"title": "New"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )

    missing = api.post(f"/api/v1/drafts/{draft.id}/publish/", {}, format="json")
    stale = publish(api, draft, version=1)

    assert missing.status_code == 428
    assert stale.status_code == 412
    assert stale.json()["error"]["conflicting_fields"] == ["title"]
    assert Post.objects.count() == 0


def test_publish_on_a_version_before_a_media_reorder_names_media(api, user, community):
    draft, (first, second) = draft_with_media(
        user, kind="gallery", statuses=("ready", "ready")
    )
    reordered = api.patch(
        f"/api/v1/drafts/{draft.id}/",
        {"media": [str(second.id), str(first.id)]},
        format="json",
        HTTP_IF_MATCH='"1"',
    )

    stale = publish(api, draft, version=1)

    assert reordered.status_code == 200
    assert stale.status_code == 412
    assert stale.json()["error"]["conflicting_fields"] == ["media"]
    assert Post.objects.count() == 0


def test_publish_while_media_processes_answers_202_pending(api, user, community):
    draft, _ = draft_with_media(user, kind="gallery", statuses=("ready", "processing"))

    response = publish(api, draft)

    assert response.status_code == 202
    assert response.json()["status"] == "pending_media"
    assert response.json()["published_at"] is None


def test_a_gallery_takes_as_many_media_as_a_draft_holds(api, user, community, settings):
    settings.MEDIA_MAX_PER_DRAFT = 25
    draft, _ = draft_with_media(user, kind="gallery", statuses=("ready",) * 25)

    response = publish(api, draft)

    assert response.status_code == 201, response.json()
    assert len(response.json()["media"]) == 25


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        ({"title": "  "}, "title_required"),
        ({"kind": "link", "url": "https://exa"}, "url_invalid"),
        ({"kind": "image", "statuses": ()}, "media_count_invalid"),
        ({"kind": "image", "statuses": ("ready", "ready")}, "media_count_invalid"),
        ({"kind": "gallery", "statuses": ("ready",)}, "media_count_invalid"),
        ({"kind": "text", "statuses": ("ready",)}, "media_count_invalid"),
        ({"kind": "image", "statuses": ("failed",)}, "media_unusable"),
        ({"kind": "image", "statuses": ("awaiting_upload",)}, "media_unusable"),
        ({"community": ""}, "community_required"),
        ({"community": "nosuchplace"}, "community_not_found"),
        ({"community": "closed"}, "community_inactive"),
        ({"community": "textonly"}, "kind_not_allowed"),
    ],
)
def test_invalid_drafts_get_422_with_their_code(api, user, community, setup, code):
    Community.objects.create(
        name="closed", title="Closed", allowed_kinds=["image"], is_active=False
    )
    Community.objects.create(name="textonly", title="Text", allowed_kinds=["text"])
    setup = dict(setup)
    statuses = setup.pop("statuses", ("ready",))
    kind = setup.pop("kind", "image")
    draft, _ = draft_with_media(user, kind=kind, statuses=statuses, **setup)

    response = publish(api, draft)

    assert response.status_code == 422, response.json()
    assert response.json()["error"]["code"] == code
    assert Post.objects.count() == 0
    draft.refresh_from_db()
    assert draft.consumed_at is None


def test_text_and_link_posts_publish_without_media(api, user, community):
    text, _ = draft_with_media(user, kind="text", statuses=(), body="Hello")
    link, _ = draft_with_media(
        user, kind="link", statuses=(), url="https://example.com/a?b=c"
    )

    assert publish(api, text).status_code == 201
    assert publish(api, link).json()["url"] == "https://example.com/a?b=c"


def test_scheduled_publish_waits_for_the_sweep(api, user, community):
    draft, _ = draft_with_media(user)
    publish_at = timezone.now() + timedelta(hours=3)

    response = publish(api, draft, publish_at=publish_at.isoformat())
    early = posts_publish_due(now=publish_at - timedelta(seconds=1))
    on_time = posts_publish_due(now=publish_at + timedelta(seconds=1))

    assert response.status_code == 202
    assert response.json()["status"] == "scheduled"
    assert (early, on_time) == (0, 1)
    post = Post.objects.get(id=response.json()["id"])
    assert post.status == "published"
    assert post.published_at is not None


def test_cancel_turns_a_scheduled_post_back_into_its_draft(api, user, community):
    draft, _ = draft_with_media(user)
    post_id = publish(
        api, draft, publish_at=(timezone.now() + timedelta(days=1)).isoformat()
    ).json()["id"]

    response = api.post(f"/api/v1/posts/{post_id}/cancel/")

    assert response.status_code == 200
    assert response.json()["id"] == str(draft.id)
    assert not Post.objects.filter(id=post_id).exists()
    assert api.get(f"/api/v1/drafts/{draft.id}/").status_code == 200
    assert publish(api, draft).status_code == 201


def test_only_scheduled_posts_can_be_cancelled(api, user, community):
    draft, _ = draft_with_media(user)
    post_id = publish(api, draft).json()["id"]

    response = api.post(f"/api/v1/posts/{post_id}/cancel/")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "post_not_scheduled"
    assert Post.objects.get(id=post_id).status == "published"


def test_publishing_twice_answers_409_with_the_post(api, user, community):
    draft, _ = draft_with_media(user)
    first = publish(api, draft)

    second = publish(api, draft)

    assert second.status_code == 409
    assert second.json()["error"]["code"] == "draft_already_published"
    assert second.json()["error"]["post_id"] == first.json()["id"]


def test_idempotency_key_replays_the_publish(api, user, community):
    draft, _ = draft_with_media(user)

    first = api.post(
        f"/api/v1/drafts/{draft.id}/publish/",
        {},
        format="json",
        HTTP_IF_MATCH='"1"',
        HTTP_IDEMPOTENCY_KEY="pub-1",
    )
    again = api.post(
        f"/api/v1/drafts/{draft.id}/publish/",
        {},
        format="json",
        HTTP_IF_MATCH='"1"',
        HTTP_IDEMPOTENCY_KEY="pub-1",
    )

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert Post.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_publishes_of_one_draft_make_one_post():
    author = token_client("racer").user
    Community.objects.create(name="pics", title="Pictures", allowed_kinds=["image"])
    draft, _ = draft_with_media(author)
    barrier = threading.Barrier(2)
    answers: list[int] = []

    def publish_once() -> None:
        client = token_client("racer")
        barrier.wait()
        answers.append(publish(client, draft).status_code)
        connection.close()

    threads = [threading.Thread(target=publish_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(answers) == [201, 409]
    assert Post.objects.filter(source_draft=draft).count() == 1
    assert Draft.objects.get(id=draft.id).consumed_at is not None


def test_publishing_another_users_draft_is_404(api, other_user, community):
    draft, _ = draft_with_media(other_user)

    response = publish(api, draft)

    assert response.status_code == 404
    assert Post.objects.count() == 0
