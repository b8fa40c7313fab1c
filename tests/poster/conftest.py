import pytest

from drafts.services import draft_create
from drafts.services.media import draft_media_lease_create
from media_uploads.models import MediaAsset
from poster.models import Community


@pytest.fixture
def community(db):
    return Community.objects.create(
        name="pics",
        title="Pictures",
        allowed_kinds=["text", "link", "image", "gallery"],
    )


def draft_with_media(owner, *, kind="image", statuses=("ready",), **fields):
    draft = draft_create(
        owner=owner,
        changes={"kind": kind, "title": "A sunset", "community": "pics", **fields},
    )
    assets = []
    for status in statuses:
        asset = draft_media_lease_create(
            owner=owner,
            filename="p.jpg",
            content_type="image/jpeg",
            size_bytes=100,
            draft_id=draft.id,
        ).asset
        MediaAsset.objects.filter(id=asset.id).update(
            status=status, width=10, height=10
        )
        assets.append(asset)
    return draft, assets


def publish(client, draft, version=1, **payload):
    return client.post(
        f"/api/v1/drafts/{draft.id}/publish/",
        payload,
        format="json",
        HTTP_IF_MATCH=f'"{version}"',
    )
