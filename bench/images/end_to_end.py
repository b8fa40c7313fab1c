"""Time images end to end: from `media_complete` until the asset is `ready`.

    .venv/bin/python bench/images/end_to_end.py [--runs 10] [--images 30]

The real path on the real stack, all on 127.0.0.1: a throwaway PostgreSQL database
(poster_bench_images, dropped at the end), Redis DB 14 as the broker (flushed
first), local storage in a temp folder, and Celery workers started like production
ones (`celery -A config worker --queues media --concurrency 1`).

1. Latency, one idle worker: after a warm-up, `--runs` times lease a 12 MP JPEG
   (run.py's generator, a few pixels changed per image so no two share a
   SHA-256), store it, call `media_complete` and poll the row every 5 ms until it
   is `ready`. Then once with bytes already ready (the reuse path). `queue` is
   complete -> claim and `worker` claim -> ready, from the row's timestamps.
2. Throughput, two worker processes: after a warm-up image each, complete
   `--images` uploads at once and time until all are ready.

Prints a table, writes var/bench/images_end_to_end.json and, beside it, the
workers' logs (.workers.log).
"""

import argparse
import contextlib
import hashlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import psycopg
import redis
from psycopg import sql
from run import make_photo  # bench/images/run.py, beside this file

REPO_ROOT = Path(__file__).resolve().parents[2]
DATABASE_NAME = "poster_bench_images"
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/14"
POLL_SECONDS = 0.005
READY_TIMEOUT_SECONDS = 300
MILLISECOND = timedelta(milliseconds=1)
RESULT_PATH = REPO_ROOT / "var" / "bench" / "images_end_to_end.json"
Worker = tuple[str, subprocess.Popen]


def bench_environment(workdir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"{POSTGRES_URL}/{DATABASE_NAME}",
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_RESULT_BACKEND": "",
        "STORAGE_BACKEND": "local",
        "LOCAL_STORAGE_ROOT": str(workdir / "storage"),
        "POSTER_VAR_DIR": str(workdir / "var"),
        "DEBUG": "false",
        "SECRET_KEY": "bench-images-end-to-end-not-a-secret",
        "MEDIA_MAX_PENDING": "100000",  # all --images leases exist before completion
    }


def database_execute(template: str) -> None:
    statement = sql.SQL(template).format(sql.Identifier(DATABASE_NAME))
    with psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True) as connection:
        connection.execute(statement)


def photos_make(folder: Path, count: int) -> list[Path]:
    """`count` 12 MP JPEGs of one scene, each with a few pixels of its own."""
    from PIL import Image

    make_photo(folder / "base.jpg", orientation=1)
    with Image.open(folder / "base.jpg") as opened:
        base, exif = opened.copy(), opened.info.get("exif", b"")
    photos = []
    for index in range(count):
        photo = base.copy()
        for row in range(4):
            photo.putpixel((16 * index % 4000, 8 * row), (index % 256, 0, 255))
        photos.append(folder / f"photo-{index:03}.jpg")
        photo.save(photos[-1], "JPEG", quality=90, exif=exif)
    digests = {hashlib.sha256(photo.read_bytes()).digest() for photo in photos}
    assert len(digests) == count, "two photos share their bytes"
    return photos


def workers_start(count: int, env: dict[str, str], log_dir: Path) -> list[Worker]:
    workers = []
    for index in range(1, count + 1):
        node = f"bench{index}@{socket.gethostname()}"
        command = [sys.executable, "-m", "celery", "-A", "config", "worker"]
        command += ["--queues", "media", "--concurrency", "1", "--pool", "prefork"]
        command += ["--without-mingle", "--without-gossip", "--hostname", node]
        command += ["--loglevel", "INFO"]  # as `make run`: task outcomes in the log
        with (log_dir / f"{node}.log").open("ab") as log:
            process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a process group of its own, pool included
            )
        workers.append((node, process))
    return workers


def workers_wait_ready(workers: list[Worker], *, timeout_seconds: float = 60) -> None:
    from config.celery import app

    deadline = time.monotonic() + timeout_seconds
    nodes = {node for node, _ in workers}
    while True:
        for node, process in workers:
            if process.poll() is not None:
                raise RuntimeError(f"{node} exited with {process.returncode}")
        replies = app.control.ping(destination=sorted(nodes), timeout=1.0)
        if nodes <= {node for reply in replies for node in reply}:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"workers not ready after {timeout_seconds} s")


def workers_stop(workers: list[Worker]) -> None:
    """Warm shutdown, then SIGKILL whatever is left of each process group.

    SIGTERM goes to the main process only: sent to the group, it also kills the
    pool child between committing `ready` and acknowledging the task.
    """
    for _, process in workers:
        if process.poll() is None:
            process.terminate()
    for _, process in workers:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def asset_upload(owner, photo: Path):
    from media_uploads.services import media_lease_create
    from media_uploads.storage import get_storage

    size_bytes = photo.stat().st_size
    lease = media_lease_create(
        owner=owner,
        filename=photo.name,
        content_type="image/jpeg",
        size_bytes=size_bytes,
    )
    get_storage().put_file(
        lease.asset.original_key, photo, content_type="image/jpeg", cache_control=""
    )
    return lease.asset.id


def wait_until_ready(asset_ids: list, *, started: float) -> float:
    """Poll until every asset is ready; return perf_counter() when all were."""
    from media_uploads.models import PROCESSABLE_STATUSES, MediaAsset, MediaStatus

    pending = set(asset_ids)
    while True:
        settled = (
            MediaAsset.objects.filter(id__in=pending)
            .exclude(status__in=PROCESSABLE_STATUSES)
            .values_list("id", "status", "failure_code", "failure_message")
        )
        for asset_id, status, code, message in settled:
            if status != MediaStatus.READY:
                raise RuntimeError(f"{asset_id} is {status}: {code} {message}")
            pending.discard(asset_id)
        now = time.perf_counter()
        if not pending:
            return now
        if now - started > READY_TIMEOUT_SECONDS:
            raise TimeoutError(f"{len(pending)} assets not ready")
        time.sleep(POLL_SECONDS)


def time_one(owner, photo: Path) -> dict[str, float]:
    from media_uploads.models import MediaAsset
    from media_uploads.services import media_complete

    asset_id = asset_upload(owner, photo)
    time.sleep(0.2)  # let the worker idle, as it would between uploads
    started = time.perf_counter()
    media_complete(asset_id=asset_id, owner=owner)
    finished = wait_until_ready([asset_id], started=started)
    asset = MediaAsset.objects.get(id=asset_id)
    return {
        "total_ms": (finished - started) * 1000,
        "queue_ms": (asset.processing_started_at - asset.uploaded_at) / MILLISECOND,
        "worker_ms": (asset.processed_at - asset.processing_started_at) / MILLISECOND,
    }


def time_batch(owner, photos: list[Path]) -> float:
    from media_uploads.services import media_complete

    asset_ids = [asset_upload(owner, photo) for photo in photos]
    started = time.perf_counter()
    for asset_id in asset_ids:
        media_complete(asset_id=asset_id, owner=owner)
    return wait_until_ready(asset_ids, started=started) - started


def assets_check(owner) -> None:
    """Fail unless every asset became a ready 4000x3000 image with 5 variants."""
    from django.db.models import Count

    from media_uploads.models import MediaAsset

    shapes = set(
        MediaAsset.objects.filter(owner=owner)
        .annotate(variant_count=Count("variants"))
        .values_list("status", "width", "height", "variant_count")
    )
    if shapes != {("ready", 4000, 3000, 5)}:
        raise RuntimeError(f"unexpected (status, width, height, variants): {shapes}")


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p90 = ordered[round(0.9 * (len(ordered) - 1))]
    return {"median": statistics.median(values), "p90": p90, "min": ordered[0]}


def bench(arguments: argparse.Namespace, workdir: Path) -> dict:
    env = bench_environment(workdir)
    (workdir / "photos").mkdir()
    runs, images = arguments.runs, arguments.images
    photos = photos_make(workdir / "photos", 1 + runs + 2 + images)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "--verbosity", "0"],
        cwd=REPO_ROOT,
        env=env,
        check=True,
    )
    redis.Redis.from_url(REDIS_URL).flushdb()
    os.environ.update(env)
    sys.path.insert(0, str(REPO_ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    owner = get_user_model().objects.create_user(username="bench-images")

    workers = workers_start(1, env, workdir)
    try:
        workers_wait_ready(workers)
        time_one(owner, photos[0])  # warm-up: connections, lazy initialisation
        timed = [time_one(owner, photo) for photo in photos[1 : 1 + runs]]
        reuse = time_one(owner, photos[runs])  # bytes already ready: copies only
    finally:
        workers_stop(workers)

    workers = workers_start(2, env, workdir)
    try:
        workers_wait_ready(workers)
        time_batch(owner, photos[1 + runs : 3 + runs])  # one warm-up each
        wall_seconds = time_batch(owner, photos[3 + runs :])
    finally:
        workers_stop(workers)
    assets_check(owner)

    latency = {part: summary([run[part] for run in timed]) for part in timed[0]}
    return {
        "runs": runs,
        "images": images,
        "latency_ms": latency,
        "reuse_ms": reuse,
        "one_worker_images_per_minute": 60_000 / latency["total_ms"]["median"],
        "two_workers_wall_s": wall_seconds,
        "two_workers_images_per_minute": images / wall_seconds * 60,
    }


def report(results: dict) -> None:
    print(f"12 MP JPEG (4000x3000), complete -> ready, {results['runs']} runs")
    print(f"{'one idle worker, ms':<25} {'median':>7} {'p90':>7} {'min':>7}")
    for part, label in (
        ("total_ms", "end to end"),
        ("queue_ms", "  queue: complete->claim"),
        ("worker_ms", "  worker: claim->ready"),
    ):
        row = results["latency_ms"][part]
        print(
            f"{label:<25} {row['median']:>7.0f} {row['p90']:>7.0f} {row['min']:>7.0f}"
        )
    reuse = results["reuse_ms"]
    print(
        f"{'same bytes (reuse)':<25} {reuse['total_ms']:>7.0f}"
        f"  (queue {reuse['queue_ms']:.0f}, worker {reuse['worker_ms']:.0f})"
    )
    print(
        f"images/min: 1 worker {results['one_worker_images_per_minute']:.0f} "
        f"(60 s / median), 2 workers {results['two_workers_images_per_minute']:.0f} "
        f"({results['images']} in {results['two_workers_wall_s']:.1f} s)"
    )
    print(f"worker outcomes: {results['worker_outcomes']}")
    print(
        f"load average before/after: {results['load_before']} / {results['load_after']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--images", type=int, default=30)
    arguments = parser.parse_args()

    load_before = [round(load, 2) for load in os.getloadavg()]
    RESULT_PATH.parent.mkdir(parents=True, exist_ok=True)
    database_execute("DROP DATABASE IF EXISTS {} WITH (FORCE)")
    database_execute("CREATE DATABASE {}")
    try:
        with tempfile.TemporaryDirectory(prefix="poster-bench-e2e-") as workdir:
            try:
                results = bench(arguments, Path(workdir))
            finally:  # keep the workers' logs, above all when something failed
                logs = sorted(Path(workdir).glob("bench*.log"))
                worker_log = "".join(
                    f"== {log.name}\n{log.read_text()}" for log in logs
                )
                RESULT_PATH.with_suffix(".workers.log").write_text(worker_log)
    finally:
        database_execute("DROP DATABASE IF EXISTS {} WITH (FORCE)")  # ours too
        redis.Redis.from_url(REDIS_URL).flushdb()
    # Every distinct image should be "ready", the same-bytes one "reused".
    results["worker_outcomes"] = {
        outcome: worker_log.count(f": {outcome}\n")
        for outcome in ("ready", "reused", "skipped", "failed")
    }
    results["cpu_count"] = os.cpu_count()
    results["load_before"] = load_before
    results["load_after"] = [round(load, 2) for load in os.getloadavg()]
    RESULT_PATH.write_text(json.dumps(results, indent=2) + "\n")
    report(results)


if __name__ == "__main__":
    main()
