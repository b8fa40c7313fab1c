"""Benchmark the live event stream: idle cost of 2,000 streams, and how fast a
committed change reaches them, against clients polling every 2 s, in one run.

    .venv/bin/python bench/events/run.py [--streams 2000] [--users 200] [--repeats 3]

Recreates the PostgreSQL database `poster_bench_events`, migrates it, creates
`--users` API users with a draft each, and starts the events process as `make run`
does (uvicorn, config/asgi.py, Redis fan-out) and gunicorn (for the polling
baseline). This process then opens `--streams` streams (spread evenly over the
users, at most EVENTS_MAX_STREAMS_PER_USER each) and, `--repeats` times:

1. idle: nothing happens for `--idle-seconds` (longer than the 15 s heartbeat); the
   events process's RSS and CPU are read from /proc;
2. stream: `--changes` autosaves (one of the users' drafts in turn, paced evenly over
   `--change-seconds`) go through poster's own service; each is a `draft.saved`
   event that every stream of its user must receive. Latency is from just before the
   service call (whose statement commits) to the moment the stream's bytes are read;
3. baseline: the same number of autosaves, paced the same way, while `--pollers`
   clients (one device per user) GET their draft every `--poll-seconds` from gunicorn;
   latency is from the change to the first answer that shows it.

Prints each repeat and the spread (min-max) over the repeats, and writes
var/bench/events.json. The machine is shared: absolute figures move with its load.
"""

import argparse
import asyncio
import contextlib
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))  # run as a script: make `bench` importable

from bench.harness.loadgen import Connection  # noqa: E402
from bench.harness.server import (  # noqa: E402
    database_recreate,
    database_url,
    free_port,
    gunicorn_serving,
)

BIN_DIR = Path(sys.executable).parent
RESULTS_PATH = REPO_ROOT / "var" / "bench" / "events.json"
HOST = "127.0.0.1"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=2000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--change-seconds", type=float, default=10.0)
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    parser.add_argument("--pollers", type=int, default=None, help="default: --users")
    parser.add_argument("--poll-seconds", type=float, default=2.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--database", default="poster_bench_events")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument(
        "--admin-url", default="postgres://postgres@127.0.0.1:5432/postgres"
    )
    arguments = parser.parse_args()
    arguments.pollers = arguments.pollers or arguments.users
    return arguments


def environment_for(arguments: argparse.Namespace, var_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": str(REPO_ROOT),
        "DATABASE_URL": database_url(arguments.admin_url, arguments.database),
        "CONN_MAX_AGE": "600",
        "CELERY_BROKER_URL": arguments.redis_url,
        "EVENTS_REDIS_URL": arguments.redis_url,
        "THROTTLE_DEFAULT": "100000/s",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "POSTER_VAR_DIR": str(var_dir),
    }


@contextlib.contextmanager
def events_process(environment: dict[str, str], port: int) -> Iterator:
    """The events process exactly as make run starts it (scripts/run.py)."""
    log_path = Path(environment["POSTER_VAR_DIR"]) / "events.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                str(BIN_DIR / "uvicorn"), "config.asgi:application",
                "--host", HOST, "--port", str(port), "--lifespan", "off",
                "--loop", "uvloop", "--http", "httptools", "--no-access-log",
                "--timeout-graceful-shutdown", "1", "--backlog", "4096",
            ],
            cwd=REPO_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def process_usage(pid: int) -> tuple[float, int]:
    """(CPU seconds used so far, resident bytes) of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu_seconds = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    resident_pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return cpu_seconds, resident_pages * PAGE_BYTES


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Stream:
    """One SSE connection; records when each draft version's event arrived."""

    def __init__(self, token: str, received: dict) -> None:
        self.token = token
        self.received = received  # (draft id, version) -> [arrival times]
        self.task: asyncio.Task | None = None

    async def open(self, port: int) -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(
            f"GET /api/v1/events/ HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
            f"Authorization: Token {self.token}\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"stream refused: {head[:200]!r}")
        started = asyncio.get_running_loop().create_future()
        self.task = asyncio.create_task(self._read(reader, writer, started))
        await started

    async def _read(self, reader, writer, started) -> None:
        buffer = b""
        try:
            while True:
                size = int((await reader.readline()).strip(), 16)
                if size == 0:
                    return
                buffer += await reader.readexactly(size + 2)
                now = time.monotonic()
                *messages, buffer = buffer.replace(b"\r\n", b"").split(b"\n\n")
                for message in messages:
                    if message.startswith(b"retry:") and not started.done():
                        started.set_result(None)
                    for line in message.split(b"\n"):
                        if line.startswith(b"data: "):
                            data = json.loads(line[6:])
                            key = (data["id"], data.get("version"))
                            self.received.setdefault(key, []).append(now)
        finally:
            writer.close()


async def open_streams(tokens: list[str], count: int, port: int, received: dict):
    streams = [Stream(tokens[index % len(tokens)], received) for index in range(count)]
    gate = asyncio.Semaphore(64)  # connect in waves, not 2,000 SYNs at once

    async def opened(stream: Stream) -> None:
        async with gate:
            await stream.open(port)

    await asyncio.gather(*(opened(stream) for stream in streams))
    return streams


def make_changes(
    drafts: list[tuple[str, int]],
    versions: dict[str, int],
    *,
    count: int,
    seconds: float,
) -> dict[tuple[str, int], float]:
    """`count` autosaves through poster's service, paced evenly; when each began."""
    from django.contrib.auth import get_user_model

    from drafts.services import draft_autosave

    owners = {owner_id: get_user_model()(pk=owner_id) for _, owner_id in drafts}
    began: dict[tuple[str, int], float] = {}
    start = time.monotonic()
    for index in range(count):
        draft_id, owner_id = drafts[index % len(drafts)]
        due = start + index * seconds / count
        time.sleep(max(0.0, due - time.monotonic()))
        base = versions[draft_id]
        moment = time.monotonic()
        result = draft_autosave(
            draft_id=draft_id,
            owner=owners[owner_id],
            base_version=base,
            changes={"title": f"change {index}"},
        )
        versions[draft_id] = result.draft.version
        began[(draft_id, result.draft.version)] = moment
    return began


async def stream_phase(arguments, streams_per_user, drafts, versions, received):
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=1) as executor:
        # Unrecorded: the first calls open this process's database connection.
        await loop.run_in_executor(
            executor,
            lambda: make_changes(drafts, versions, count=len(drafts), seconds=1.0),
        )
        await asyncio.sleep(1)
        received.clear()
        began = await loop.run_in_executor(
            executor,
            lambda: make_changes(
                drafts,
                versions,
                count=arguments.changes,
                seconds=arguments.change_seconds,
            ),
        )
    expected = {key: streams_per_user for key in began}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(
        len(received.get(key, ())) < number for key, number in expected.items()
    ):
        await asyncio.sleep(0.1)
    latencies, missing = [], 0
    for key, moment in began.items():
        arrivals = received.get(key, [])
        missing += max(0, streams_per_user - len(arrivals))
        latencies += [arrival - moment for arrival in arrivals]
    return latencies, missing


async def poll_phase(arguments, gunicorn_port, tokens, drafts, versions):
    seen: dict[str, list[tuple[int, float]]] = {}  # draft -> (version, first seen)
    stop = asyncio.Event()
    requests_made = 0

    async def poller(token: str, draft_id: str) -> None:
        nonlocal requests_made
        connection = Connection(gunicorn_port, {"Authorization": f"Token {token}"})
        last_version = versions[draft_id]
        await asyncio.sleep(random.uniform(0, arguments.poll_seconds))
        while not stop.is_set():
            tick = time.monotonic()
            response = await connection.request("GET", f"/api/v1/drafts/{draft_id}/")
            requests_made += 1
            version = json.loads(response.body)["version"]
            if version > last_version:
                seen.setdefault(draft_id, []).append((version, time.monotonic()))
                last_version = version
            next_tick = tick + arguments.poll_seconds
            await asyncio.sleep(max(0, next_tick - time.monotonic()))
        await connection.close()

    owners_tokens = dict(zip([owner for _, owner in drafts], tokens, strict=False))
    pollers = [
        asyncio.create_task(poller(owners_tokens[owner], draft_id))
        for draft_id, owner in drafts[: arguments.pollers]
    ]
    await asyncio.sleep(arguments.poll_seconds)  # every poller has a baseline view
    started = time.monotonic()
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=1) as executor:
        began = await loop.run_in_executor(
            executor,
            lambda: make_changes(
                drafts[: arguments.pollers],
                versions,
                count=arguments.changes,
                seconds=arguments.change_seconds,
            ),
        )
    await asyncio.sleep(arguments.poll_seconds + 1)
    stop.set()
    await asyncio.gather(*pollers)
    elapsed = time.monotonic() - started
    latencies, missing = [], 0
    for (draft_id, version), moment in began.items():
        shown = next((t for v, t in seen.get(draft_id, []) if v >= version), None)
        if shown is None:
            missing += 1
        else:
            latencies.append(shown - moment)
    return latencies, missing, requests_made / elapsed


def summary(latencies: list[float]) -> dict:
    if not latencies:
        return {"count": 0}
    return {
        "count": len(latencies),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1),
    }


async def drive(arguments, events_pid, events_port, gunicorn_port, users):
    tokens = [token for token, _, _ in users]
    drafts = [(draft_id, owner_id) for _, draft_id, owner_id in users]
    versions = {draft_id: 1 for draft_id, _ in drafts}
    received: dict = {}
    _, rss_before = process_usage(events_pid)
    opened_at = time.monotonic()
    streams = await open_streams(tokens, arguments.streams, events_port, received)
    connect_seconds = time.monotonic() - opened_at
    streams_per_user = arguments.streams // len(tokens)
    print(
        f"{arguments.streams} streams open in {connect_seconds:.1f} s "
        f"({streams_per_user} per user); events process RSS before: "
        f"{rss_before / 2**20:.0f} MB",
        flush=True,
    )
    repeats = []
    for repeat in range(1, arguments.repeats + 1):
        await asyncio.sleep(2)
        cpu_start, _ = process_usage(events_pid)
        await asyncio.sleep(arguments.idle_seconds)
        cpu_end, rss = process_usage(events_pid)
        idle_cpu = (cpu_end - cpu_start) / arguments.idle_seconds * 100
        cpu_start, _ = process_usage(events_pid)
        phase_start = time.monotonic()
        latencies, missing = await stream_phase(
            arguments, streams_per_user, drafts, versions, received
        )
        cpu_end, rss_busy = process_usage(events_pid)
        busy_cpu = (cpu_end - cpu_start) / (time.monotonic() - phase_start) * 100
        polled, poll_missing, poll_rate = await poll_phase(
            arguments, gunicorn_port, tokens, drafts, versions
        )
        result = {
            "idle_rss_mb": round(rss / 2**20, 1),
            "idle_cpu_percent": round(idle_cpu, 2),
            "busy_rss_mb": round(rss_busy / 2**20, 1),
            "busy_cpu_percent": round(busy_cpu, 1),
            "stream": {**summary(latencies), "missing": missing},
            "poll": {
                **summary(polled),
                "missing": poll_missing,
                "requests_per_second": round(poll_rate, 1),
            },
        }
        repeats.append(result)
        stream, poll = result["stream"], result["poll"]
        print(
            f"repeat {repeat}: idle {result['idle_rss_mb']} MB RSS, "
            f"{result['idle_cpu_percent']}% CPU | stream p50 {stream['p50_ms']} ms "
            f"p99 {stream['p99_ms']} ms max {stream['max_ms']} ms "
            f"({stream['count']} deliveries, {missing} missing, "
            f"{result['busy_cpu_percent']}% CPU) | polling every "
            f"{arguments.poll_seconds:g} s: p50 {poll['p50_ms']} ms "
            f"p99 {poll['p99_ms']} ms ({poll_missing} missing, "
            f"{poll['requests_per_second']} req/s) | p99 ratio poll/stream "
            f"{poll['p99_ms'] / stream['p99_ms']:.1f}x",
            flush=True,
        )
    for stream in streams:
        stream.task.cancel()
    return {"connect_seconds": round(connect_seconds, 1), "repeats": repeats}


def spread(repeats: list[dict], *path: str) -> str:
    values = []
    for repeat in repeats:
        value = repeat
        for key in path:
            value = value[key]
        values.append(value)
    return f"{min(values)}-{max(values)}"


def create_users(count: int) -> list[tuple[str, str, int]]:
    from core.accounts import api_user_ensure
    from drafts.services import draft_create

    users = []
    for index in range(count):
        credentials = api_user_ensure(username=f"bench-events-{index}")
        draft = draft_create(owner=credentials.user, changes={"title": "start"})
        users.append((credentials.token, str(draft.id), credentials.user.pk))
    return users


def main() -> None:
    arguments = parse_arguments()
    var_dir = REPO_ROOT / "var" / "bench" / "events"
    var_dir.mkdir(parents=True, exist_ok=True)
    environment = environment_for(arguments, var_dir)
    database_recreate(arguments.admin_url, arguments.database)
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"],
            cwd=REPO_ROOT,
            env=environment,
            check=True,
        )
        os.environ.update(environment)
        import django

        django.setup()
        users = create_users(arguments.users)
        from django.db import connection

        connection.close()
        events_port = free_port()
        gunicorn_arguments = argparse.Namespace(
            worker_class="config.gunicorn_worker.SteadyThreadWorker",
            workers=2,
            threads=4,
        )
        with (
            events_process(environment, events_port) as events,
            gunicorn_serving(
                gunicorn_arguments, environment, log_path=var_dir / "gunicorn.log"
            ) as (_, gunicorn_port),
        ):
            deadline = time.monotonic() + 30
            while True:
                with contextlib.suppress(OSError):
                    asyncio.run(asyncio.open_connection(HOST, events_port))
                    break
                assert time.monotonic() < deadline, "the events process did not start"
                time.sleep(0.2)
            results = asyncio.run(
                drive(arguments, events.pid, events_port, gunicorn_port, users)
            )
    finally:
        from django.db import connections

        connections.close_all()
        database_recreate(arguments.admin_url, arguments.database, create=False)
    repeats = results["repeats"]
    print(
        f"\nspread over {len(repeats)} repeats (shared, noisy machine):\n"
        f"  idle: RSS {spread(repeats, 'idle_rss_mb')} MB for {arguments.streams} "
        f"streams (target <= 200), CPU {spread(repeats, 'idle_cpu_percent')}%\n"
        f"  stream commit-to-receive: p50 {spread(repeats, 'stream', 'p50_ms')} ms, "
        f"p99 {spread(repeats, 'stream', 'p99_ms')} ms (target <= 250)\n"
        f"  baseline, polling every {arguments.poll_seconds:g} s: p50 "
        f"{spread(repeats, 'poll', 'p50_ms')} ms, p99 "
        f"{spread(repeats, 'poll', 'p99_ms')} ms"
    )
    RESULTS_PATH.write_text(
        json.dumps({"arguments": vars(arguments), **results}, indent=2)
    )


if __name__ == "__main__":
    main()
