from pathlib import Path

import pytest

from core.accounts import api_user_ensure
from drafts.services import draft_create
from drafts.services.media import draft_media_lease_create
from media_uploads.models import MediaAsset, StoredObjectDeletion
from media_uploads.services import stored_objects_delete
from media_uploads.storage import get_storage
from poster.models import Community
from tests.conftest import wait_until
from tests.poster.conftest import draft_with_media, publish
from tests.storage import upload_by_instruction


def leased(user, draft=None):
    return draft_media_lease_create(
        owner=user,
        filename="a.png",
        content_type="image/png",
        size_bytes=4,
        draft_id=draft.id if draft else None,
    ).asset


def stored(storage, asset, tmp_path: Path) -> MediaAsset:
    source = tmp_path / f"{asset.id}"
    source.write_bytes(b"\x89PNG")
    storage.put_file(
        asset.original_key, source, content_type="image/png", cache_control="private"
    )
    return asset


def test_get_shows_the_asset(api, user, local_storage):
    asset = leased(user)

    response = api.get(f"/api/v1/media/{asset.id}/")

    assert response.status_code == 200
    assert response.json()["id"] == str(asset.id)
    assert response.json()["status"] == "awaiting_upload"


def test_patch_sets_alt_text_and_caption(api, user, local_storage):
    asset = leased(user)

    response = api.patch(
        f"/api/v1/media/{asset.id}/",
        {"alt_text": "A red bicycle", "caption": "Mine"},
        format="json",
    )

    assert response.status_code == 200
    asset.refresh_from_db()
    assert (asset.alt_text, asset.caption) == ("A red bicycle", "Mine")


@pytest.mark.parametrize(("field", "length"), [("alt_text", 1501), ("caption", 181)])
def test_patch_refuses_text_over_the_limits(api, user, local_storage, field, length):
    asset = leased(user)

    response = api.patch(
        f"/api/v1/media/{asset.id}/", {field: "x" * length}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]
    asset.refresh_from_db()
    assert getattr(asset, field) == ""


def test_patch_attaches_moves_and_detaches(api, user, local_storage):
    draft = draft_create(owner=user, changes={})
    first, second = leased(user, draft), leased(user, draft)
    loose = leased(user)

    attached = api.patch(
        f"/api/v1/media/{loose.id}/", {"draft": str(draft.id)}, format="json"
    )
    moved = api.patch(f"/api/v1/media/{loose.id}/", {"position": 0}, format="json")
    order_after_move = list(
        MediaAsset.objects.filter(draft=draft)
        .order_by("position")
        .values_list("id", flat=True)
    )
    detached = api.patch(f"/api/v1/media/{first.id}/", {"draft": None}, format="json")

    assert (attached.status_code, moved.status_code, detached.status_code) == (
        200,
        200,
        200,
    )
    assert order_after_move == [loose.id, first.id, second.id]
    first.refresh_from_db()
    assert (first.draft_id, first.position) == (None, None)


def test_delete_removes_the_row_now_and_the_object_after_commit(
    api, user, local_storage, tmp_path, celery_worker
):
    asset = stored(local_storage, leased(user), tmp_path)

    response = api.delete(f"/api/v1/media/{asset.id}/")

    assert response.status_code == 204
    assert not MediaAsset.objects.filter(id=asset.id).exists()
    wait_until(lambda: not StoredObjectDeletion.objects.exists())
    assert local_storage.head(asset.original_key) is None


def test_failed_storage_delete_is_kept_and_retried(
    api, user, moto_storage, settings, tmp_path
):
    asset = stored(moto_storage, leased(user), tmp_path)
    api.delete(f"/api/v1/media/{asset.id}/")
    real_endpoint = settings.S3_ENDPOINT_URL
    settings.S3_ENDPOINT_URL = "http://127.0.0.1:9"  # nothing listens: an outage
    get_storage.cache_clear()

    failed = stored_objects_delete()

    assert failed == [asset.original_key]
    deletion = StoredObjectDeletion.objects.get(key=asset.original_key)
    assert deletion.attempts == 1
    assert deletion.last_error != ""
    settings.S3_ENDPOINT_URL = real_endpoint
    get_storage.cache_clear()

    assert stored_objects_delete() == []
    assert not StoredObjectDeletion.objects.exists()
    assert get_storage().head(asset.original_key) is None


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/"), ("patch", "/"), ("delete", "/"), ("post", "/complete/")],
)
def test_another_users_media_is_404_everywhere(
    api, other_user, local_storage, tmp_path, method, path
):
    asset = stored(local_storage, leased(other_user), tmp_path)

    response = getattr(api, method)(
        f"/api/v1/media/{asset.id}{path}", {"caption": "mine"}, format="json"
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    asset.refresh_from_db()
    assert (asset.status, asset.caption) == ("awaiting_upload", "")
    assert local_storage.head(asset.original_key) is not None


def test_own_media_cannot_move_into_another_users_draft(
    api, user, other_user, local_storage
):
    asset = leased(user)
    foreign = draft_create(owner=other_user, changes={})

    response = api.patch(
        f"/api/v1/media/{asset.id}/", {"draft": str(foreign.id)}, format="json"
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "reference_not_usable"
    assert response.json()["error"]["fields"] == {"draft": ["No such draft."]}
    asset.refresh_from_db()
    assert (asset.draft_id, asset.position) == (None, None)


def test_another_users_upload_lease_is_404_at_the_local_endpoint(
    transactional_db, other_user, local_storage, live_server
):
    lease = draft_media_lease_create(
        owner=other_user, filename="a.png", content_type="image/png", size_bytes=4
    )
    upload = lease.upload.as_dict()
    upload["url"] = live_server.url + upload["url"]
    intruder_token = api_user_ensure(username="intruder").token

    response = upload_by_instruction(
        upload, b"\x89PNG", headers={"Authorization": f"Token {intruder_token}"}
    )

    assert response.status_code == 404
    assert local_storage.head(lease.asset.original_key) is None


def test_media_a_post_shows_cannot_be_deleted(api, user, local_storage):
    Community.objects.create(name="pics", title="Pictures", allowed_kinds=["image"])
    draft, (asset,) = draft_with_media(user)
    publish(api, draft)

    response = api.delete(f"/api/v1/media/{asset.id}/")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "media_in_use"
    assert MediaAsset.objects.filter(id=asset.id).exists()
