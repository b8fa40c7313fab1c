from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.utils import timezone

from media_uploads.models import MediaAsset, MediaStatus, StoredObjectDeletion
from media_uploads.selectors import MediaNotFound
from media_uploads.services import media_lease_create, queueing
from media_uploads.services.completion import media_upload_accept
from media_uploads.services.errors import LeaseExpired
from tests.conftest import wait_until
from tests.storage import queued_process_image_ids


def leased(user, size_bytes=100, content_type="image/png"):
    return media_lease_create(
        owner=user, filename="a.png", content_type=content_type, size_bytes=size_bytes
    ).asset


def store(storage, key: str, data: bytes, content_type: str, tmp_path: Path) -> None:
    source = tmp_path / "object"
    source.write_bytes(data)
    storage.put_file(key, source, content_type=content_type, cache_control="private")


@pytest.mark.django_db(transaction=True)
def test_complete_accepts_the_object_and_enqueues_once(
    api, user, local_storage, media_queue, tmp_path
):
    asset = leased(user)
    store(local_storage, asset.original_key, b"p" * 100, "image/png", tmp_path)

    first = api.post(f"/api/v1/media/{asset.id}/complete/")
    second = api.post(f"/api/v1/media/{asset.id}/complete/")

    assert (first.status_code, second.status_code) == (202, 202)
    assert first.json()["status"] == "uploaded"
    assert second.json() == first.json()
    asset.refresh_from_db()
    assert asset.status == "uploaded"
    assert asset.uploaded_at is not None
    assert queued_process_image_ids(media_queue) == [str(asset.id)]


@pytest.mark.django_db(transaction=True)
def test_complete_before_upload_gets_409_and_the_lease_stays_usable(
    api, user, local_storage, media_queue, tmp_path
):
    asset = leased(user)

    early = api.post(f"/api/v1/media/{asset.id}/complete/")
    store(local_storage, asset.original_key, b"p" * 100, "image/png", tmp_path)
    later = api.post(f"/api/v1/media/{asset.id}/complete/")

    assert early.status_code == 409
    assert early.json()["error"]["code"] == "upload_missing"
    assert later.status_code == 202
    assert queued_process_image_ids(media_queue) == [str(asset.id)]


@pytest.mark.parametrize(
    ("data", "content_type"), [(b"p" * 99, "image/png"), (b"p" * 100, "image/gif")]
)
def test_mismatched_object_fails_the_asset_and_is_deleted(
    api, user, local_storage, media_queue, tmp_path, data, content_type, celery_worker
):
    asset = leased(user)
    store(local_storage, asset.original_key, data, content_type, tmp_path)
    leased_at = asset.updated_at

    response = api.post(f"/api/v1/media/{asset.id}/complete/")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "upload_mismatch"
    asset.refresh_from_db()
    assert (asset.status, asset.failure_code) == ("failed", "upload_mismatch")
    assert asset.updated_at > leased_at  # failed media are kept 48 h from now
    assert queued_process_image_ids(media_queue) == []
    wait_until(lambda: not StoredObjectDeletion.objects.exists())
    assert local_storage.head(asset.original_key) is None
    again = api.post(f"/api/v1/media/{asset.id}/complete/")
    assert (again.status_code, again.json()["status"]) == (200, "failed")


def test_complete_after_the_lease_expired_without_upload_gets_410(
    api, user, local_storage, media_queue
):
    asset = leased(user)

    later = timezone.now() + timedelta(seconds=901)
    with mock.patch("django.utils.timezone.now", return_value=later):
        response = api.post(f"/api/v1/media/{asset.id}/complete/")

    assert response.status_code == 410
    assert response.json()["error"]["code"] == "lease_expired"
    assert MediaAsset.objects.get(id=asset.id).status == "expired"
    assert queued_process_image_ids(media_queue) == []


def test_only_the_call_that_expires_a_lease_shows_it_expired(user, local_storage):
    # Two cleanup runs that loaded the same stale lease: one expires it; the other
    # must be able to tell, so the lease is counted once.
    asset = leased(user)
    loaded_by_one, loaded_by_other = (MediaAsset.objects.get(id=asset.id) for _ in "ab")
    later = timezone.now() + timedelta(seconds=901)

    with pytest.raises(LeaseExpired):
        media_upload_accept(loaded_by_one, now=later)
    with pytest.raises(LeaseExpired):
        media_upload_accept(loaded_by_other, now=later)

    assert loaded_by_one.status == MediaStatus.EXPIRED
    assert loaded_by_other.status == MediaStatus.AWAITING_UPLOAD


@pytest.mark.django_db(transaction=True)
def test_asset_deleted_while_completing_is_not_found(user, local_storage, tmp_path):
    asset = leased(user)
    store(local_storage, asset.original_key, b"p" * 100, "image/png", tmp_path)

    def delete_as_staff_does_meanwhile(*args, **kwargs):
        MediaAsset.objects.filter(id=asset.id).delete()

    # The moment to strike: the acceptance has committed, the answer is not built.
    with (
        mock.patch.object(
            queueing,  # completion dispatches after commit through the owner's line
            "media_process_enqueue",
            side_effect=delete_as_staff_does_meanwhile,
        ),
        pytest.raises(MediaNotFound),
    ):
        media_upload_accept(MediaAsset.objects.get(id=asset.id))
