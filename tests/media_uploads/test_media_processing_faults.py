"""Processing survives storage outages, killed workers and lost messages."""

import io
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone
from moto.server import ThreadedMotoServer
from PIL import Image

from media_uploads.models import MediaAsset, MediaStatus, MediaVariant
from media_uploads.services.sweep import media_sweep_stuck
from media_uploads.storage import get_storage
from media_uploads.storage.base import ObjectMissing
from media_uploads.tasks import retry_delay_seconds
from tests.conftest import wait_until
from tests.media_uploads import image_factory
from tests.media_uploads.test_media_processing import finished, uploaded
from tests.storage import (
    MEDIA_QUEUE_LISTS,
    free_port,
    queued_process_image_ids,
    use_s3,
)

REPO_DIR = Path(__file__).resolve().parents[2]


def photo_bytes(size=(1200, 900)) -> bytes:
    return image_factory.encode(image_factory.marked_image(size), "JPEG", quality=95)


def test_storage_outage_is_retried_until_storage_is_back(
    transactional_db, user, settings, tmp_path, media_queue
):
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    use_s3(settings, f"http://127.0.0.1:{port}")
    settings.MEDIA_RETRY_BASE_SECONDS = 0.5
    asset = uploaded(user, get_storage(), photo_bytes(), "image/jpeg", tmp_path)
    server.stop()  # storage goes away before any worker touches the asset

    from celery.contrib.testing.worker import start_worker

    from config.celery import app as celery_app

    with start_worker(
        celery_app,
        pool="threads",
        concurrency=1,
        perform_ping_check=False,
        queues=["media"],
        loglevel="WARNING",
    ):
        wait_until(
            lambda: MediaAsset.objects.get(id=asset.id).processing_attempts >= 2,
            timeout_seconds=30,
        )
        during_outage = MediaAsset.objects.get(id=asset.id)
        restarted = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        restarted.start()
        try:
            done = finished(asset)
        finally:
            restarted.stop()
    connection.close()

    assert during_outage.status == MediaStatus.PROCESSING
    assert done.status == MediaStatus.READY
    assert done.processing_attempts >= 2
    assert MediaVariant.objects.filter(asset=done).count() == 5
    get_storage.cache_clear()


def worker_process(environment: dict, log) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "config", "worker",
            "--queues", "media", "--concurrency", "1", "--pool", "prefork",
            "--loglevel", "INFO", "--without-mingle", "--without-gossip",
        ],
        cwd=REPO_DIR,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_processing_still_ends_ready_with_one_set(
    user, settings, tmp_path, media_queue
):
    settings.STORAGE_BACKEND = "local"
    settings.LOCAL_STORAGE_ROOT = tmp_path / "storage"
    get_storage.cache_clear()
    environment = {
        **os.environ,
        "DATABASE_URL": (
            "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(**connection.settings_dict)
        ),
        "STORAGE_BACKEND": "local",
        "LOCAL_STORAGE_ROOT": str(tmp_path / "storage"),
        "CELERY_VISIBILITY_TIMEOUT": "3",
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        "CELERY_UNACKED_RESTORE_THROTTLE": "1",
    }
    # A 35 MP PNG (small on disk, decoded in full: about half a second of work)
    # keeps the first worker busy long enough to be killed mid-way.
    gradient = Image.linear_gradient("L").resize((7000, 5000)).convert("RGB")
    data = image_factory.encode(gradient, "PNG")
    log = (tmp_path / "workers.log").open("w")
    first = worker_process(environment, log)
    try:
        asset = uploaded(user, get_storage(), data, "image/png", tmp_path)
        wait_until(
            lambda: (
                MediaAsset.objects.get(id=asset.id).status == MediaStatus.PROCESSING
            ),
            timeout_seconds=60,
        )
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    killed_at = MediaAsset.objects.get(id=asset.id)
    second = worker_process(environment, log)
    try:
        done = finished(asset)
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=30)

    assert killed_at.status == MediaStatus.PROCESSING
    assert done.status == MediaStatus.READY
    assert done.processing_attempts == 2
    names = sorted(
        MediaVariant.objects.filter(asset=done).values_list("name", flat=True)
    )
    assert names == ["jpeg1080", "w1080", "w160", "w320", "w640"]
    stored = sorted(
        p.name for p in (tmp_path / "storage" / "media" / str(asset.id)).iterdir()
    )
    assert stored == [
        "jpeg1080.jpg",
        "w1080.webp",
        "w160.webp",
        "w320.webp",
        "w640.webp",
    ]
    get_storage.cache_clear()


def test_stuck_sweep_requeues_then_fails_past_the_attempt_limit(
    transactional_db, user, local_storage, tmp_path, media_queue
):
    data = image_factory.encode(Image.new("RGB", (10, 10)), "PNG")
    stuck = uploaded(user, local_storage, data, "image/png", tmp_path)
    exhausted = uploaded(user, local_storage, data, "image/png", tmp_path)
    media_queue.delete(*MEDIA_QUEUE_LISTS)  # the completion messages were lost
    limit = django_settings.MEDIA_PROCESS_MAX_RETRIES + 1
    MediaAsset.objects.filter(id=exhausted.id).update(
        status=MediaStatus.PROCESSING, processing_attempts=limit
    )
    later = timezone.now() + timedelta(seconds=django_settings.MEDIA_STUCK_SECONDS + 1)

    report = media_sweep_stuck(now=later)
    again = media_sweep_stuck(now=later + timedelta(seconds=1))

    assert (report.requeued, report.failed) == (1, 1)
    assert (again.requeued, again.failed) == (0, 0)
    assert queued_process_image_ids(media_queue) == [str(stuck.id)]
    failed = MediaAsset.objects.get(id=exhausted.id)
    assert (failed.status, failed.failure_code) == ("failed", "processing_timeout")
    assert MediaAsset.objects.get(id=stuck.id).status == MediaStatus.UPLOADED


def test_recent_work_is_not_swept(transactional_db, user, local_storage, tmp_path):
    data = image_factory.encode(Image.new("RGB", (10, 10)), "PNG")
    uploaded(user, local_storage, data, "image/png", tmp_path)

    report = media_sweep_stuck(now=timezone.now() + timedelta(seconds=5))

    assert (report.requeued, report.failed) == (0, 0)


def test_storage_retries_back_off_to_a_five_minute_cap(settings):
    settings.MEDIA_RETRY_BASE_SECONDS = 5.0

    delays = [retry_delay_seconds(retries) for retries in range(12)]

    assert 2.5 <= delays[0] <= 5.0
    assert 40.0 <= delays[4] <= 80.0
    assert all(150.0 <= delay <= 300.0 for delay in delays[7:])


@pytest.mark.parametrize("backend", ["local", "moto"])
def test_absent_object_downloads_as_object_missing(request, backend):
    storage = request.getfixturevalue(f"{backend}_storage")

    with pytest.raises(ObjectMissing):
        storage.download("uploads/0/never-uploaded", io.BytesIO(), max_bytes=1024)


@pytest.mark.parametrize("backend", ["local", "moto"])
def test_copying_an_absent_object_is_object_missing_and_writes_nothing(
    request, backend
):
    storage = request.getfixturevalue(f"{backend}_storage")

    with pytest.raises(ObjectMissing):
        storage.copy("media/a/never.webp", "media/b/copy.webp")

    assert storage.head("media/b/copy.webp") is None


def test_local_copy_of_bytes_gone_under_their_metadata_writes_nothing(
    local_storage, tmp_path
):
    source = tmp_path / "kept"
    source.write_bytes(b"bytes")
    local_storage.put_file(
        "media/a/kept.webp", source, content_type="image/webp", cache_control=""
    )
    (local_storage.root / "media/a/kept.webp").unlink()  # the bytes alone are gone

    with pytest.raises(ObjectMissing):
        local_storage.copy("media/a/kept.webp", "media/b/copy.webp")

    assert local_storage.head("media/b/copy.webp") is None
    assert list((local_storage.root / "media").rglob("*copy*")) == []


@pytest.mark.parametrize("backend", ["local", "moto"])
def test_original_deleted_after_completion_fails_as_original_missing(
    request, transactional_db, user, media_queue, tmp_path, backend
):
    storage = request.getfixturevalue(f"{backend}_storage")
    png = image_factory.encode(Image.new("RGB", (50, 40), "blue"), "PNG")
    asset = uploaded(user, storage, png, "image/png", tmp_path)
    storage.delete(asset.original_key)  # before any worker has seen the message

    request.getfixturevalue("celery_worker")
    failed = finished(asset)

    assert (failed.status, failed.failure_code) == ("failed", "original_missing")
    assert failed.processing_attempts == 1
    assert not MediaVariant.objects.filter(asset=asset).exists()
