"""Fair processing: one user's flood must not hold another user's photo back.

    .venv/bin/python bench/fairness/run.py [--flood 100] [--samples 3]

On the real stack, all on 127.0.0.1: a throwaway PostgreSQL database
(poster_bench_fairness, dropped at the end), a Redis database as the broker (its
`media` queue emptied first; `--redis-url`), local storage in a temp folder, and two
Celery worker processes started like production ones (bench/images/end_to_end.py's
helpers: `celery -A config worker --queues media --concurrency 1`, twice).

1. Baseline, idle workers: the victim completes a 12 MP JPEG `--samples` times, one
   at a time; each latency is complete -> `ready`.
2. Flood: another user leases, stores and completes `--flood` 12 MP JPEGs at once.
   While they are processed, the victim completes one photo at a time, `--samples`
   times, and its latency is measured the same way. A sampler counts, every 10 ms,
   how many of the flooder's assets hold a turn (queued or processing): poster's
   limit is MEDIA_MAX_PROCESSING_PER_USER (4).
3. Every flood asset must end `ready` (nothing lost, nothing stuck).

Prints each latency, the medians, their ratio (target: flood <= 3x idle) and the most
flood assets dispatched at once. The machine is shared: absolute times move with its
load; compare the ratio, measured in the same run.
"""

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import redis

BENCH_IMAGES = Path(__file__).resolve().parents[1] / "images"
sys.path.insert(0, str(BENCH_IMAGES))
import end_to_end  # noqa: E402  (bench/images/end_to_end.py: workers, photos, polling)

REPO_ROOT = Path(__file__).resolve().parents[2]
TARGET_RATIO = 3.0
# The media queue's Redis lists, one per priority step (see services.queueing).
MEDIA_QUEUE_LISTS = ("media", *(f"media\x06\x16{step}" for step in (3, 6, 9)))


def flood_sampler(owner_id: int, stop: threading.Event, most: list[int]) -> None:
    from django.db import connection

    from media_uploads.models import MediaAsset
    from media_uploads.services.queueing import HOLDS_A_TURN

    try:
        while not stop.is_set():
            held = MediaAsset.objects.filter(HOLDS_A_TURN, owner_id=owner_id).count()
            most[0] = max(most[0], held)
            time.sleep(0.01)
    finally:
        connection.close()


def bench(arguments: argparse.Namespace, workdir: Path) -> dict:
    env = end_to_end.bench_environment(workdir)
    env.update(
        DATABASE_URL=f"{end_to_end.POSTGRES_URL}/{end_to_end.DATABASE_NAME}",
        CELERY_BROKER_URL=arguments.redis_url,
        MEDIA_DAILY_BYTES=str(2**40),
    )
    (workdir / "photos").mkdir()
    samples, flood = arguments.samples, arguments.flood
    photos = end_to_end.photos_make(workdir / "photos", 2 + 2 * samples + flood)
    import subprocess

    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "--verbosity", "0"],
        cwd=REPO_ROOT,
        env=env,
        check=True,
    )
    redis.Redis.from_url(arguments.redis_url).delete(*MEDIA_QUEUE_LISTS)
    os.environ.update(env)
    sys.path.insert(0, str(REPO_ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from media_uploads.models import MediaAsset
    from media_uploads.services import media_complete

    users = get_user_model().objects
    victim = users.create_user(username="victim")
    flooder = users.create_user(username="flooder")
    victim_photos = iter(photos[: 2 + 2 * samples])
    flood_photos = photos[2 + 2 * samples :]

    workers = end_to_end.workers_start(2, env, workdir)
    try:
        end_to_end.workers_wait_ready(workers)
        end_to_end.time_batch(victim, [next(victim_photos), next(victim_photos)])
        idle = [
            end_to_end.time_one(victim, next(victim_photos))["total_ms"]
            for _ in range(samples)
        ]
        flood_ids = [end_to_end.asset_upload(flooder, p) for p in flood_photos]
        stop, most = threading.Event(), [0]
        sampler = threading.Thread(
            target=flood_sampler, args=(flooder.id, stop, most), daemon=True
        )
        sampler.start()
        started = time.perf_counter()
        for asset_id in flood_ids:
            media_complete(asset_id=asset_id, owner=flooder)
        flooded = []
        for _ in range(samples):
            time.sleep(0.5)
            pending = MediaAsset.objects.filter(
                id__in=flood_ids, status__in=("uploaded", "processing")
            ).count()
            flooded.append(
                {
                    "ms": end_to_end.time_one(victim, next(victim_photos))["total_ms"],
                    "flood_pending": pending,
                }
            )
        end_to_end.wait_until_ready(flood_ids, started=started)
        flood_seconds = time.perf_counter() - started
        stop.set()
        sampler.join()
    finally:
        end_to_end.workers_stop(workers)
    return {
        "idle_ms": idle,
        "flooded": flooded,
        "most_flood_assets_holding_a_turn": most[0],
        "flood_ready": MediaAsset.objects.filter(
            id__in=flood_ids, status="ready"
        ).count(),
        "flood": flood,
        "flood_seconds": flood_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flood", type=int, default=100)
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    arguments = parser.parse_args()
    end_to_end.DATABASE_NAME = "poster_bench_fairness"
    load_before = [round(load, 2) for load in os.getloadavg()]
    end_to_end.database_execute("DROP DATABASE IF EXISTS {} WITH (FORCE)")
    end_to_end.database_execute("CREATE DATABASE {}")
    try:
        with tempfile.TemporaryDirectory(prefix="poster-bench-fair-") as workdir:
            results = bench(arguments, Path(workdir))
    finally:
        from django.db import connections

        connections.close_all()
        end_to_end.database_execute("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        redis.Redis.from_url(arguments.redis_url).delete(*MEDIA_QUEUE_LISTS)
    idle = statistics.median(results["idle_ms"])
    flooded_ms = [sample["ms"] for sample in results["flooded"]]
    flooded = statistics.median(flooded_ms)
    ratio = flooded / idle
    print(
        f"victim, idle workers:   {', '.join(f'{ms:.0f}' for ms in results['idle_ms'])}"
        f" ms (median {idle:.0f}, spread {min(results['idle_ms']):.0f}-"
        f"{max(results['idle_ms']):.0f})"
    )
    print(
        "victim, during a flood: "
        + ", ".join(
            f"{sample['ms']:.0f} ms ({sample['flood_pending']} flood images left)"
            for sample in results["flooded"]
        )
        + f" (median {flooded:.0f}, spread {min(flooded_ms):.0f}-{max(flooded_ms):.0f})"
    )
    verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
    print(
        f"flood/idle latency: {ratio:.2f}x (target <= {TARGET_RATIO:.0f}x: {verdict}); "
        f"per-sample ratios {', '.join(f'{ms / idle:.2f}x' for ms in flooded_ms)}"
    )
    print(
        f"flood: {results['flood_ready']}/{results['flood']} ready in "
        f"{results['flood_seconds']:.1f} s; at most "
        f"{results['most_flood_assets_holding_a_turn']} flood assets queued or "
        "processing at once (limit MEDIA_MAX_PROCESSING_PER_USER = 4)"
    )
    print(
        f"load average before/after: {load_before} / "
        f"{[round(load, 2) for load in os.getloadavg()]} on {os.cpu_count()} cores "
        "(a shared, busy machine: absolute times are noisy, compare the ratio)"
    )


if __name__ == "__main__":
    main()
