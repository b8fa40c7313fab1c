"""Fair processing: one user's flood of uploads cannot take every worker's turn.

At most MEDIA_MAX_PROCESSING_PER_USER of a user's assets are queued or processing;
the rest wait as `uploaded` and are dispatched as earlier ones settle.
"""

import threading

from django.db import connection

from core.accounts import api_user_ensure
from media_uploads.models import MediaAsset
from media_uploads.services import media_lease_create
from media_uploads.services.queueing import HOLDS_A_TURN
from media_uploads.services.sweep import media_sweep_stuck
from tests.conftest import token_client, wait_until
from tests.media_uploads import image_factory
from tests.storage import MEDIA_QUEUE_LISTS, queued_process_image_ids


def stored_uploads(user, storage, tmp_path, count: int) -> list[MediaAsset]:
    """`count` leased assets whose originals (distinct photos) are in storage."""
    assets = []
    for index in range(count):
        data = image_factory.encode(
            image_factory.marked_image((120 + index, 90)), "PNG"
        )
        asset = media_lease_create(
            owner=user,
            filename=f"p{index}.png",
            content_type="image/png",
            size_bytes=len(data),
        ).asset
        source = tmp_path / f"original-{asset.id}"
        source.write_bytes(data)
        storage.put_file(
            asset.original_key, source, content_type="image/png", cache_control=""
        )
        assets.append(asset)
    return assets


def test_a_flood_queues_four_and_another_users_photo_is_queued_at_once(
    transactional_db,
    api,
    user,
    other_api,
    other_user,
    local_storage,
    tmp_path,
    media_queue,
):
    flood = stored_uploads(user, local_storage, tmp_path, 10)
    (photo,) = stored_uploads(other_user, local_storage, tmp_path, 1)

    completed = [api.post(f"/api/v1/media/{a.id}/complete/") for a in flood]
    other = other_api.post(f"/api/v1/media/{photo.id}/complete/")

    assert [r.status_code for r in completed] == [202] * 10
    assert [r.json()["status"] for r in completed] == ["uploaded"] * 10
    assert other.status_code == 202
    # The first four of the flood and the other user's photo; six wait their turn.
    assert sorted(queued_process_image_ids(media_queue)) == sorted(
        [*(str(a.id) for a in flood[:4]), str(photo.id)]
    )
    # The flooder's first turn and the other user's photo are taken first; the
    # flooder's further turns wait at lower priorities.
    assert sorted(queued_process_image_ids(media_queue, ("media",))) == sorted(
        [str(flood[0].id), str(photo.id)]
    )
    waiting = MediaAsset.objects.filter(owner=user, dispatched_at__isnull=True)
    assert sorted(waiting.values_list("id", flat=True)) == sorted(
        a.id for a in flood[4:]
    )


def test_concurrent_completions_never_dispatch_more_than_the_limit(
    transactional_db, local_storage, tmp_path, media_queue
):
    user = api_user_ensure(username="flooder").user
    flood = stored_uploads(user, local_storage, tmp_path, 12)
    errors = []
    start = threading.Barrier(6)

    def complete(assets) -> None:
        client = token_client("flooder")
        try:
            start.wait(timeout=30)
            for asset in assets:
                assert (
                    client.post(f"/api/v1/media/{asset.id}/complete/").status_code
                    == 202
                )
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=complete, args=(flood[i::6],)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(queued_process_image_ids(media_queue)) == 4
    assert MediaAsset.objects.filter(owner=user).filter(HOLDS_A_TURN).count() == 4
    assert MediaAsset.objects.filter(owner=user, status="uploaded").count() == 12


def test_a_flood_is_processed_to_the_end_four_at_a_time(
    celery_worker, local_storage, tmp_path
):
    flooder = api_user_ensure(username="flooder")
    client = token_client("flooder")
    flood = stored_uploads(flooder.user, local_storage, tmp_path, 12)
    most_at_once = 0

    for asset in flood:
        assert client.post(f"/api/v1/media/{asset.id}/complete/").status_code == 202

    def all_ready() -> bool:
        nonlocal most_at_once
        owned = MediaAsset.objects.filter(owner=flooder.user)
        most_at_once = max(most_at_once, owned.filter(HOLDS_A_TURN).count())
        return not owned.exclude(status="ready").exists()

    wait_until(all_ready, timeout_seconds=120)
    assert most_at_once <= 4
    assert MediaAsset.objects.filter(owner=flooder.user, status="ready").count() == 12


def test_the_sweep_dispatches_uploads_left_waiting_with_free_turns(
    transactional_db, user, api, local_storage, tmp_path, media_queue
):
    (asset,) = stored_uploads(user, local_storage, tmp_path, 1)
    api.post(f"/api/v1/media/{asset.id}/complete/")
    # As if the dispatch after commit was lost with its process.
    MediaAsset.objects.filter(id=asset.id).update(dispatched_at=None)
    media_queue.delete(*MEDIA_QUEUE_LISTS)

    report = media_sweep_stuck()

    assert report.dispatched == 1
    assert queued_process_image_ids(media_queue) == [str(asset.id)]
    assert MediaAsset.objects.get(id=asset.id).dispatched_at is not None
