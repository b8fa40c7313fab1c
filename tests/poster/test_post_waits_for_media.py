"""A post published while its image processes finishes itself through a real worker."""

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection
from PIL import Image

from config.celery import app as celery_app
from drafts.models import Draft
from poster.models import Community, Post
from tests.conftest import token_client, wait_until
from tests.media_uploads import image_factory
from tests.media_uploads.test_media_processing import uploaded
from tests.poster.conftest import publish


def media_worker():
    return start_worker(
        celery_app,
        pool="threads",
        concurrency=1,
        perform_ping_check=False,
        queues=["media"],
        loglevel="WARNING",
    )


def image_draft(author, storage, data: bytes, tmp_path):
    Community.objects.get_or_create(
        name="pics", defaults={"title": "Pictures", "allowed_kinds": ["image"]}
    )
    asset = uploaded(author, storage, data, "image/png", tmp_path)
    client = token_client(author.username)
    draft_id = client.post(
        "/api/v1/drafts/",
        {"kind": "image", "title": "Look", "community": "pics"},
        format="json",
    ).json()["id"]
    client.patch(
        f"/api/v1/drafts/{draft_id}/",
        {"media": [str(asset.id)]},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    return client, Draft.objects.get(id=draft_id), asset


@pytest.mark.django_db(transaction=True)
def test_pending_post_publishes_when_its_image_is_ready(
    local_storage, tmp_path, media_queue
):
    author = token_client("patient").user
    png = image_factory.encode(Image.new("RGB", (300, 200), "green"), "PNG")
    client, draft, asset = image_draft(author, local_storage, png, tmp_path)

    answer = publish(client, draft, version=2)
    with media_worker():
        wait_until(
            lambda: Post.objects.get(id=answer.json()["id"]).status == "published"
        )
    connection.close()

    assert answer.status_code == 202
    assert answer.json()["status"] == "pending_media"
    post = Post.objects.get(id=answer.json()["id"])
    assert post.published_at is not None
    shown = client.get(f"/api/v1/posts/{post.id}/").json()
    assert shown["media"][0]["width"] == 300
    assert {v["name"] for v in shown["media"][0]["variants"]} >= {"w160", "jpeg1080"}


@pytest.mark.django_db(transaction=True)
def test_post_fails_and_gives_the_draft_back_when_its_image_fails(
    local_storage, tmp_path, media_queue
):
    author = token_client("unlucky").user
    client, draft, asset = image_draft(
        author, local_storage, b"<html>not an image</html>", tmp_path
    )

    answer = publish(client, draft, version=2)
    with media_worker():
        wait_until(lambda: Post.objects.get(id=answer.json()["id"]).status == "failed")
    connection.close()

    post = Post.objects.get(id=answer.json()["id"])
    assert post.failure_code == "media_failed"
    assert post.source_draft_id is None
    assert client.get(f"/api/v1/drafts/{draft.id}/").status_code == 200
    assert client.get(f"/api/v1/posts/{post.id}/").json()["status"] == "failed"
