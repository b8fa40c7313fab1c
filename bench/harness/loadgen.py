"""Asyncio clients over raw HTTP/1.1 keep-alive, run in phases and timed.

A benchmark describes each phase as a `Phase`: `clients(recorder)` gives one coroutine
per client, each looping over `recorder.ticks(...)` and sending with
`recorder.timed(...)`; `lost_writes()` then reads back what the clients believe was
saved. `interleave` runs phases in rounds that split the time, so that load from
anything else on the machine weighs on all of them alike:

    figures = await interleave({"baseline": ..., "autosave": ...}, rounds=3, ...)

A client is a closed loop (no think time: the server is saturated, and p50 is about
clients / throughput) or paced: one request every `interval` seconds from a random
offset, its latency counted from when it was due, so that a server falling behind is
charged for the wait (no coordinated omission). One `Connection` costs a few tens of
microseconds of CPU a request, leaving the cores to the server.
"""

import asyncio
import contextlib
import json
import os
import random
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness.report import combine

REQUEST_TIMEOUT_SECONDS = 10.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


class Connection:
    """One keep-alive connection, one request at a time; reconnects once closed."""

    def __init__(self, port: int, headers: dict[str, str]) -> None:
        self.port = port
        fixed = {"Host": f"127.0.0.1:{port}", **headers}
        self._head = "".join(f"{name}: {value}\r\n" for name, value in fixed.items())
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(
        self, method: str, path: str, *, body: bytes = b"", headers: dict | None = None
    ) -> Response:
        """Send one request and read its answer; raise on timeout or reset."""
        try:
            return await asyncio.wait_for(
                self._exchange(method, path, body, headers or {}),
                REQUEST_TIMEOUT_SECONDS,
            )
        except BaseException:
            await self.close()
            raise

    async def _exchange(self, method: str, path: str, body: bytes, headers: dict):
        if self._streams is None:
            self._streams = await asyncio.open_connection("127.0.0.1", self.port)
        reader, writer = self._streams
        extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        head = f"{method} {path} HTTP/1.1\r\n{self._head}{extra}"
        writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
        answer = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        status_line, *lines = answer[:-4].split("\r\n")
        fields = (line.split(":", 1) for line in lines)
        found = {name.strip().lower(): value.strip() for name, value in fields}
        # Django's CommonMiddleware gives every answer a Content-Length.
        body = await reader.readexactly(int(found.get("content-length", 0)))
        if found.get("connection") == "close":
            await self.close()
        return Response(int(status_line.split(" ", 2)[1]), found, body)

    async def close(self) -> None:
        if self._streams is not None:
            writer, self._streams = self._streams[1], None
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


@dataclass
class Recorder:
    """A slice's clock: `warmup` seconds unrecorded, then `seconds` recorded. A request
    counts when it finishes inside that window, filed under its outcome."""

    warmup: float
    seconds: float
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def __post_init__(self) -> None:
        self.begin = time.perf_counter() + self.warmup
        self.end = self.begin + self.seconds

    async def ticks(self, interval: float | None, seed: int) -> AsyncIterator:
        """Until the window ends: at once (yields None), or every `interval` seconds
        from a random offset (yields when the request was due)."""
        due = time.perf_counter() + random.Random(seed).uniform(0, interval or 0)
        while time.perf_counter() < self.end:
            if interval is not None:
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
            yield None if interval is None else due
            due += interval or 0

    async def timed(
        self,
        connection: Connection,
        request: tuple[str, str, dict],
        outcome: Callable[[Response], str],
        *,
        headers: dict | None = None,
        due: float | None = None,
    ) -> Response | None:
        """Send `(method, path, payload)`; file its latency under its outcome, from
        when it was `due` if given. None on a connection error, filed as such."""
        method, path, payload = request
        body = json.dumps(payload).encode()
        started = time.perf_counter() if due is None else due
        try:
            response = await connection.request(
                method, path, body=body, headers=headers
            )
        except (OSError, TimeoutError, asyncio.IncompleteReadError) as error:
            self._record(f"error {type(error).__name__}", started)
            return None
        self._record(outcome(response), started)
        return response

    def _record(self, outcome: str, started: float) -> None:
        finished = time.perf_counter()
        if self.begin <= finished <= self.end:
            self.latencies[outcome].append(finished - started)


@dataclass
class Phase:
    clients: Callable[[Recorder], list[Coroutine]]
    lost_writes: Callable[[], Awaitable[int]]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far (fields 14 and 15 of its stat)."""
    after_name = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(after_name[11]) + int(after_name[12])) / CLOCK_TICKS


def _machine_jiffies() -> tuple[float, float]:
    """(busy, total) since boot, from the first line of /proc/stat."""
    counters = [float(value) for value in Path("/proc/stat").read_text().split()[1:9]]
    return sum(counters) - counters[3] - counters[4], sum(counters)  # less idle, iowait


class CpuMeter:
    """CPU used in a recorded window, in cores: by this load generator, by gunicorn
    (arbiter and workers), by the PostgreSQL backends of `database`, and by the whole
    machine. Whether the generator starved the server, whether something else ran
    meanwhile, and the CPU a request costs, steadier than requests/s."""

    def __init__(self, *, server_pid: int, database: str) -> None:
        self.server_pid, self.database = server_pid, database

    def _servers(self) -> dict[int, tuple[str, float]]:
        found = {self.server_pid: "gunicorn"}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                command = (entry / "cmdline").read_bytes()
            except OSError:  # the process ended meanwhile
                continue
            if int(stat[1]) == self.server_pid:
                found[int(entry.name)] = "gunicorn"
            elif command.startswith(b"postgres: ") and (
                f" {self.database} ".encode() in command
            ):
                found[int(entry.name)] = "postgres"
        seconds = {}
        for pid, role in found.items():
            with contextlib.suppress(OSError):
                seconds[pid] = (role, _cpu_seconds(pid))
        return seconds

    async def measure(self, recorder: Recorder) -> dict[str, float]:
        await asyncio.sleep(max(0.0, recorder.begin - time.perf_counter()))
        own_before, wall_before = time.process_time(), time.perf_counter()
        (busy_before, total_before), before = _machine_jiffies(), self._servers()
        await asyncio.sleep(max(0.0, recorder.end - time.perf_counter()))
        (busy_after, total_after), after = _machine_jiffies(), self._servers()
        wall = time.perf_counter() - wall_before
        used = dict.fromkeys(("gunicorn", "postgres"), 0.0)
        for pid, (role, seconds) in after.items():
            used[role] += seconds - before.get(pid, (role, 0.0))[1]
        busy = (busy_after - busy_before) / max(1.0, total_after - total_before)
        return {
            "loadgen_cpu_cores": round((time.process_time() - own_before) / wall, 2),
            "gunicorn_cpu_cores": round(used["gunicorn"] / wall, 2),
            "postgres_cpu_cores": round(used["postgres"] / wall, 2),
            "machine_busy_pct": round(100 * busy, 1),
        }


async def interleave(
    phases: dict[str, Phase],
    *,
    rounds: int,
    warmup: float,
    seconds: float,
    meter: CpuMeter,
    before_slice: Callable[[], None],
) -> dict[str, dict]:
    """Run `phases` once per round, in order, each slice `warmup / rounds` seconds
    unrecorded and `seconds / rounds` recorded, `before_slice` (in a thread) before
    each; return each phase's figures over its slices (report.combine)."""
    warmup, seconds = warmup / rounds, seconds / rounds
    slices: dict[str, list[dict]] = {name: [] for name in phases}
    for number in range(1, rounds + 1):
        for name, phase in phases.items():
            await asyncio.to_thread(before_slice)
            label = f" round {number}/{rounds}" if rounds > 1 else ""
            print(f"{name}{label}: {warmup:g} s warm-up, {seconds:g} s", flush=True)
            recorder = Recorder(warmup, seconds)
            cpu = asyncio.create_task(meter.measure(recorder))
            running = asyncio.gather(*phase.clients(recorder))
            await asyncio.wait_for(running, warmup + seconds + 30)
            slices[name].append(
                {
                    "latencies": dict(recorder.latencies),
                    "seconds": seconds,
                    "cpu": await cpu,
                    "lost_writes": await phase.lost_writes(),
                }
            )
    return {name: combine(parts) for name, parts in slices.items()}
