"""Fault drills: the production stack under a mixed load while one part of it fails.

Each drill runs on servers of its own (tests/faults/stack.py), never on the PostgreSQL
and Redis the rest of the suite shares, restores what it broke in a `finally`, and ends
with the invariant checker (tests/faults/invariants.py), whose report it prints.
"""

import errno
import hashlib
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import redis
import requests
from django.conf import settings

from examples.client import make_png
from tests.faults.settle import settle_and_check
from tests.faults.stack import drill_stack
from tests.faults.workload import Client, Record, Workload, upload_and_publish
from tests.service import REPO_DIR
from tests.storage import MEDIA_QUEUE_LISTS


def answers_after(record, moment: float, status: int) -> list[tuple]:
    return [a for a in record.answers_timed if a[0] > moment and a[3] == status]


def test_postgres_restart_answers_503_with_retry_after_and_keeps_every_accepted_edit():
    with drill_stack() as stack:
        with Workload(stack.base_url, stack.token) as load:
            time.sleep(4)
            try:
                stack.services("stop", "postgres")
                time.sleep(5)
            finally:
                stack.services("start", "postgres")
            back_at = time.monotonic()
            time.sleep(6)
        record = load.stop()
        findings = settle_and_check(stack, record, back_at)

    assert record.unexpected == []
    assert record.status_counts(500) == 0
    assert record.status_counts(503) > 0  # the outage was met, and answered 503
    # CONN_HEALTH_CHECKS: pooled connections that died with the server are replaced,
    # not handed to requests once it is back.
    assert answers_after(record, back_at + 1, 503) == []
    assert len(record.accepted_edits) == 3
    assert findings.violations() == []


def assets_in(stack, *statuses: str) -> set[str]:
    return {
        asset_id
        for (asset_id,) in stack.sql(
            "select id::text from media_uploads_mediaasset where status = any(%s)",
            list(statuses),
        )
    }


def variant_counts(stack) -> dict[str, int]:
    return dict(
        stack.sql(
            "select asset_id::text, count(*) from media_uploads_mediavariant "
            "group by asset_id"
        )
    )


def queued_media_tasks(stack) -> int:
    """Messages in the `media` queue's lists (one per priority step)."""
    client = redis.Redis.from_url(stack.ports.redis_url)
    return sum(client.llen(name) for name in MEDIA_QUEUE_LISTS)


def test_redis_restart_with_its_data_lost_settles_every_asset_through_the_sweep():
    with drill_stack() as stack:
        with Workload(
            stack.base_url, stack.token, uploaders=2, upload_pause=0.2
        ) as load:
            time.sleep(3)
            # With the worker stopped, completed uploads wait in Redis to be lost.
            worker_exit = stack.stop("worker")
            time.sleep(4)
            queued = queued_media_tasks(stack)
            waiting = assets_in(stack, "uploaded")
            stack.services("restart", "redis")  # comes back empty
            lost_at = time.monotonic()
            queued_after = queued_media_tasks(stack)
            stack.start_worker()
            time.sleep(4)
        record = load.stop()
        findings = settle_and_check(stack, record, lost_at)
        settled = assets_in(stack, "ready", "failed")
        counts = variant_counts(stack)

    assert worker_exit == 0
    # Tasks that Redis then lost: one per dispatched asset, at most the owner's
    # MEDIA_MAX_PROCESSING_PER_USER turns; the other waiting assets wait for a turn.
    assert 0 < queued <= min(len(waiting), settings.MEDIA_MAX_PROCESSING_PER_USER)
    assert queued_after == 0
    assert waiting <= settled  # the sweep enqueued them again within the bound
    assert record.unexpected == []
    assert record.status_counts(500) == 0
    assert set(counts.values()) == {3}  # one set of variants each
    assert findings.violations() == []


def test_worker_group_killed_while_20_images_process_settles_each_exactly_once():
    with drill_stack() as stack:
        with Workload(stack.base_url, stack.token, uploaders=0) as load:
            stack.stop("worker")
            uploads = [
                threading.Thread(
                    target=lambda: [
                        upload_and_publish(
                            Client(stack.base_url, stack.token, load.record),
                            requests.Session(),
                        )
                        for _ in range(5)
                    ]
                )
                for _ in range(4)
            ]
            for thread in uploads:
                thread.start()
            for thread in uploads:
                thread.join(timeout=120)
            killed = stack.processes["worker"]
            stack.start("worker")
            deadline = time.monotonic() + 60
            while not assets_in(stack, "processing") and time.monotonic() < deadline:
                time.sleep(0.05)
            processing_when_killed = len(assets_in(stack, "processing"))
            stack.stop("worker", sig=signal.SIGKILL)
            killed_at = time.monotonic()
            left_behind = stack.left_behind(stack.processes["worker"].pid)
            stack.start_worker()
        record = load.stop()
        findings = settle_and_check(stack, record, killed_at)
        ready = assets_in(stack, "ready")
        counts = variant_counts(stack)

    assert killed.returncode == 0
    assert len(record.assets) == 20
    assert processing_when_killed > 0
    assert left_behind == []
    assert ready == set(record.assets)
    assert counts == dict.fromkeys(record.assets, 3)
    assert record.unexpected == []
    assert findings.violations() == []


def test_rolling_restart_finishes_requests_and_tasks_and_leaves_no_process():
    with drill_stack() as stack:
        with Workload(
            stack.base_url, stack.token, uploaders=2, upload_pause=0.2
        ) as load:
            time.sleep(3)
            exit_codes, left_behind = {}, {}
            for name in ("web", "worker", "beat"):
                old_group = stack.processes[name].pid
                exit_codes[name] = stack.stop(name)  # SIGTERM, as a deploy sends it
                left_behind[name] = stack.left_behind(old_group)
                {"web": stack.start_web, "worker": stack.start_worker}.get(
                    name, lambda: stack.start("beat")
                )()
                time.sleep(2)
            restarted_at = time.monotonic()
            time.sleep(3)
        record = load.stop()
        findings = settle_and_check(stack, record, restarted_at)

    assert exit_codes == {"web": 0, "worker": 0, "beat": 0}
    assert left_behind == {"web": [], "worker": [], "beat": []}
    # Only retried connections: no error answer at all, and no autosave that was
    # applied while its answer was lost (the retry would have met a 412).
    assert record.unexpected == []
    assert [s for (_, s) in record.answers if s >= 400] == []
    assert findings.violations() == []


def lease_and_upload(client: Client, *, width: int) -> tuple[dict, requests.Response]:
    """A lease for a fresh PNG and the storage's answer to uploading it."""
    image = make_png(width, 50)
    lease = client.call(
        "media_lease", "POST", client.api("/media/"), (201,),
        json={
            "filename": "probe.png", "content_type": "image/png",
            "size_bytes": len(image), "sha256": hashlib.sha256(image).hexdigest(),
        },
    ).json()  # fmt: skip
    upload = lease["upload"]
    if upload["method"] == "POST":
        stored = requests.post(
            upload["url"], data=upload["fields"], files={"file": ("p.png", image)},
            headers=client.session.headers, timeout=30,
        )  # fmt: skip
    else:
        stored = requests.put(
            upload["url"], data=image, timeout=30,
            headers={**client.session.headers, **upload["headers"]},
        )  # fmt: skip
    return lease, stored


def originals(stack) -> set[str]:
    return {key for key in stack.stored_objects() if key.startswith("uploads/")}


def test_storage_down_for_30_s_leases_issue_completion_answers_503_and_all_settles():
    # Retries back off 3, 6, 12, 24, 48 s (each at least half that, jittered): at
    # least 46 s in all, so processing outlives the 30 s outage, and its next try comes
    # at most 48 s after storage is back.
    with drill_stack(MEDIA_RETRY_BASE_SECONDS="3") as stack:
        probe = Client(stack.base_url, stack.token, Record())
        stored_before, upload = lease_and_upload(probe, width=123)
        assert upload.status_code in (200, 204)
        with Workload(
            stack.base_url, stack.token, uploaders=2, upload_pause=0.5
        ) as load:
            time.sleep(3)
            originals_before = originals(stack)
            try:
                stack.s3.stop()
                down_at = time.monotonic()
                lease_while_down = probe.session.post(
                    probe.api("/media/"), timeout=15,
                    json={"filename": "a.png", "content_type": "image/png",
                          "size_bytes": 1000},
                )  # fmt: skip
                complete_while_down = probe.session.post(
                    probe.api(f"/media/{stored_before['id']}/complete/"), timeout=30
                )
                time.sleep(max(0.0, 30 - (time.monotonic() - down_at)))
            finally:
                stack.s3.start()
            back_at = time.monotonic()
            time.sleep(5)
        record = load.stop()
        completed_after = probe.session.post(
            probe.api(f"/media/{stored_before['id']}/complete/"), timeout=30
        )
        findings = settle_and_check(stack, record, back_at, bound=60)
        originals_after = originals(stack)
        statuses = dict(
            stack.sql(
                "select status, count(*) from media_uploads_mediaasset group by 1"
            )
        )

    assert lease_while_down.status_code == 201  # presigning needs no network
    assert complete_while_down.status_code == 503
    assert complete_while_down.headers["Retry-After"].isdigit()
    assert complete_while_down.json()["error"]["code"] == "storage_unavailable"
    assert completed_after.status_code == 202
    assert originals_before <= originals_after  # no original deleted by mistake
    assert record.unexpected == []
    assert record.status_counts(500) == 0
    # Everything completed settles ready; the lease taken while down awaits upload.
    assert set(statuses) <= {"ready", "awaiting_upload"}
    assert findings.violations() == []


def test_full_disk_on_the_local_backend_answers_507_keeps_no_partial_object():
    (REPO_DIR / "var").mkdir(exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="drill-disk-", dir=REPO_DIR / "var"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(root)],
        capture_output=True, text=True,
    )  # fmt: skip
    if mounted.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"a tmpfs cannot be mounted here: {mounted.stderr.strip()}")
    try:
        with drill_stack(
            STORAGE_BACKEND="local", LOCAL_STORAGE_ROOT=str(root)
        ) as stack:
            probe = Client(stack.base_url, stack.token, Record())
            with Workload(stack.base_url, stack.token, uploaders=1) as load:
                time.sleep(3)
                filler = root / "filler"
                try:
                    with filler.open("wb") as out:
                        while True:
                            out.write(b"\0" * 65536)
                except OSError as error:
                    assert error.errno == errno.ENOSPC
                objects_when_full = set(stack.stored_objects())
                lease, refused = lease_and_upload(probe, width=321)
                partial = [p.name for p in (root / ".tmp").iterdir()]
                objects_after_refusal = set(stack.stored_objects())
                filler.unlink()  # space returns
                _, accepted = lease_and_upload(probe, width=322)
                time.sleep(3)
            record = load.stop()
            findings = settle_and_check(stack, record, time.monotonic())
    finally:
        subprocess.run(["umount", str(root)], check=False)
        shutil.rmtree(root, ignore_errors=True)

    assert refused.status_code == 507
    assert refused.json()["error"]["code"] == "insufficient_storage"
    assert refused.headers["Retry-After"].isdigit()
    assert partial == []
    assert objects_after_refusal == objects_when_full
    assert not [key for key in objects_after_refusal if lease["id"] in key]
    assert accepted.status_code in (200, 204)
    assert record.unexpected == []
    assert record.status_counts(500) == 0
    assert findings.violations() == []
