"""Real rows for the admin: media processed by the real pipeline on local storage."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from core.accounts import api_user_ensure
from drafts.models import Draft
from drafts.services import draft_create
from drafts.services.media import draft_media_lease_create
from media_uploads.models import MediaAsset
from media_uploads.services import media_complete
from media_uploads.services.processing import media_process
from media_uploads.storage import Storage
from poster.models import Community, Post
from poster.services import post_publish
from tests.media_uploads import image_factory


@pytest.fixture
def community(db) -> Community:
    return Community.objects.create(
        name="pics", title="Pictures", allowed_kinds=["text", "image", "gallery"]
    )


def ready_media(
    owner, storage: Storage, tmp_path: Path, *, draft: Draft | None = None
) -> MediaAsset:
    """An uploaded JPEG processed here, synchronously, by the real pipeline."""
    data = image_factory.encode(image_factory.marked_image((400, 300)), "JPEG")
    asset = draft_media_lease_create(
        owner=owner,
        filename="sunset.jpg",
        content_type="image/jpeg",
        size_bytes=len(data),
        draft_id=draft.id if draft else None,
    ).asset
    source = tmp_path / f"original-{asset.id}"
    source.write_bytes(data)
    storage.put_file(
        asset.original_key, source, content_type="image/jpeg", cache_control="private"
    )
    media_complete(asset_id=asset.id, owner=owner)
    assert media_process(asset_id=asset.id, task_id=f"admin-{asset.id}") == "ready"
    return MediaAsset.objects.get(id=asset.id)


def published_post(owner, storage: Storage, tmp_path: Path) -> Post:
    """An image post published through the services, with its processed image."""
    draft = draft_create(
        owner=owner,
        changes={"kind": "image", "title": "A sunset", "community": "pics"},
    )
    ready_media(owner, storage, tmp_path, draft=draft)
    draft.refresh_from_db()
    post = post_publish(draft_id=draft.id, author=owner, base_version=draft.version)
    assert post.status == "published"
    return post


@pytest.fixture
def moderator_client(db) -> Client:
    moderator = api_user_ensure(username="mod", is_staff=True).user
    moderator.groups.add(Group.objects.get(name="moderators"))
    client = Client()
    client.force_login(moderator)
    client.user = moderator
    return client
