"""The periodic cleanup, with a controlled clock (`now` is passed in)."""

from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.utils import timezone

from drafts.services import draft_create
from drafts.services.media import draft_media_lease_create
from media_uploads.models import MediaAsset, MediaStatus, StoredObjectDeletion
from media_uploads.services import media_cleanup
from media_uploads.tasks import media_cleanup_task
from tests.storage import queued_process_image_ids

DAY = timedelta(days=1)


def leased(user, draft=None) -> MediaAsset:
    return draft_media_lease_create(
        owner=user,
        filename="a.png",
        content_type="image/png",
        size_bytes=4,
        draft_id=draft.id if draft else None,
    ).asset


def store(storage, asset: MediaAsset, tmp_path: Path) -> None:
    source = tmp_path / str(asset.id)
    source.write_bytes(b"\x89PNG")
    storage.put_file(
        asset.original_key, source, content_type="image/png", cache_control="private"
    )


@pytest.mark.django_db(transaction=True)
def test_expired_lease_with_an_object_is_completed(
    user, local_storage, media_queue, tmp_path
):
    asset = leased(user)
    store(local_storage, asset, tmp_path)

    report = media_cleanup(now=timezone.now() + timedelta(seconds=901))

    asset.refresh_from_db()
    assert (report.completed, report.expired) == (1, 0)
    assert asset.status == MediaStatus.UPLOADED
    assert queued_process_image_ids(media_queue) == [str(asset.id)]


def test_expired_lease_without_an_object_expires(user, local_storage):
    asset = leased(user)
    fresh = leased(user)

    report = media_cleanup(now=timezone.now() + timedelta(seconds=901))

    assert (report.completed, report.expired) == (0, 2)
    asset.refresh_from_db()
    assert asset.status == MediaStatus.EXPIRED
    fresh.refresh_from_db()
    assert fresh.status == MediaStatus.EXPIRED


@pytest.mark.django_db(transaction=True)
def test_each_stale_lease_costs_one_look_at_storage(
    user, local_storage, media_queue, tmp_path
):
    uploaded, empty = leased(user), leased(user)
    store(local_storage, uploaded, tmp_path)
    storage_class = type(local_storage)

    with mock.patch.object(
        storage_class, "head", autospec=True, side_effect=storage_class.head
    ) as head:
        report = media_cleanup(now=timezone.now() + timedelta(seconds=901))

    assert (report.completed, report.expired) == (1, 1)
    looked_at = sorted(call.args[1] for call in head.call_args_list)
    assert looked_at == sorted([uploaded.original_key, empty.original_key])


def test_live_leases_are_left_alone(user, local_storage):
    asset = leased(user)

    report = media_cleanup(now=timezone.now() + timedelta(seconds=60))

    assert (report.completed, report.expired, report.deleted) == (0, 0, 0)
    asset.refresh_from_db()
    assert asset.status == MediaStatus.AWAITING_UPLOAD


def test_unattached_media_is_deleted_after_a_day_with_its_object(
    user, local_storage, tmp_path
):
    now = timezone.now()
    draft = draft_create(owner=user, changes={})
    abandoned, attached, young = leased(user), leased(user, draft), leased(user)
    for asset in (abandoned, attached, young):
        store(local_storage, asset, tmp_path)
    day_ago = now - DAY - timedelta(minutes=1)
    MediaAsset.objects.filter(id__in=[abandoned.id, attached.id]).update(
        status=MediaStatus.READY, created_at=day_ago, updated_at=day_ago
    )
    MediaAsset.objects.filter(id=young.id).update(status=MediaStatus.READY)

    report = media_cleanup(now=now)

    assert report.deleted == 1
    assert set(MediaAsset.objects.values_list("id", flat=True)) == {
        attached.id,
        young.id,
    }
    assert list(StoredObjectDeletion.objects.values_list("key", flat=True)) == [
        abandoned.original_key
    ]


def test_media_detached_just_now_waits_a_day_from_then(api, user, local_storage):
    now = timezone.now()
    draft = draft_create(owner=user, changes={})
    asset = leased(user, draft)
    two_days_ago = now - 2 * DAY
    MediaAsset.objects.filter(id=asset.id).update(
        status=MediaStatus.READY, created_at=two_days_ago, updated_at=two_days_ago
    )

    response = api.patch(f"/api/v1/media/{asset.id}/", {"draft": None}, format="json")
    kept = media_cleanup(now=timezone.now())
    later = media_cleanup(now=timezone.now() + DAY + timedelta(minutes=1))

    assert response.status_code == 200
    assert kept.deleted == 0
    assert later.deleted == 1
    assert not MediaAsset.objects.filter(id=asset.id).exists()


def test_failed_media_is_deleted_after_two_days(user, local_storage):
    now = timezone.now()
    draft = draft_create(owner=user, changes={})
    old_failure, new_failure = leased(user, draft), leased(user, draft)
    MediaAsset.objects.filter(id=old_failure.id).update(
        status=MediaStatus.FAILED, updated_at=now - 2 * DAY - timedelta(minutes=1)
    )
    MediaAsset.objects.filter(id=new_failure.id).update(
        status=MediaStatus.FAILED, updated_at=now - DAY
    )

    report = media_cleanup(now=now)

    assert report.deleted == 1
    assert list(MediaAsset.objects.values_list("id", flat=True)) == [new_failure.id]


def test_cleanup_task_runs_on_a_real_worker(celery_worker, user, local_storage):
    asset = leased(user)
    MediaAsset.objects.filter(id=asset.id).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    result = media_cleanup_task.apply_async(ignore_result=False)

    assert result.get(timeout=20) == {"completed": 0, "expired": 1, "deleted": 0}
    asset.refresh_from_db()
    assert asset.status == MediaStatus.EXPIRED
