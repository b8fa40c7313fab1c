"""Asyncio clients over raw HTTP/1.1 keep-alive, run in phases, timed and metered.

A `Phase` gives one coroutine per client, each looping over `recorder.ticks(...)`
and sending with `recorder.timed(...)`, and counts lost writes after each slice."""

import asyncio
import contextlib
import json
import os
import random
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
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
            async with asyncio.timeout(REQUEST_TIMEOUT_SECONDS):
                return await self._exchange(method, path, body, headers or {})
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


def api_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}", "Content-Type": "application/json"}


async def request_json(
    connection: Connection, method: str, path: str, payload=None, expect=200
) -> dict:
    """One request outside the load: its JSON answer; an error unless `expect`."""
    body = b"" if payload is None else json.dumps(payload).encode()
    response = await connection.request(method, path, body=body)
    if response.status != expect:
        answer = f"{response.status} {response.body[:300]!r}"
        raise RuntimeError(f"{method} {path}: {answer}")
    return json.loads(response.body)


class Recorder:
    """A slice's clock: `warmup` seconds unrecorded, then `seconds` recorded. A request
    counts when it finishes inside that window, filed under its outcome. `interleave`
    adds the window's CPU seconds by role and the lost writes seen after it."""

    def __init__(self, warmup: float, seconds: float) -> None:
        self.begin = time.perf_counter() + warmup
        self.end, self.seconds = self.begin + seconds, seconds
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.cpu: Counter[str] = Counter()
        self.lost_writes = 0

    async def ticks(self, interval: float | None, seed: int) -> AsyncIterator:
        """Until the window ends: at once (yields None), or every `interval` seconds
        from a random offset, yielding when the request was due: its latency counts
        from then, so a server falling behind is charged for the wait."""
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
        """Send `(method, path, payload)`; file its latency under `outcome(response)`,
        from when it was `due` if given. None on a connection error, filed as such."""
        method, path, payload = request
        body = json.dumps(payload).encode()
        started = time.perf_counter() if due is None else due
        try:
            answer = await connection.request(method, path, body=body, headers=headers)
            filed = outcome(answer)
        except (OSError, TimeoutError, asyncio.IncompleteReadError) as error:
            answer, filed = None, f"error {type(error).__name__}"
        finished = time.perf_counter()
        if self.begin <= finished <= self.end:
            self.latencies[filed].append(finished - started)
        return answer


@dataclass
class Phase:
    clients: Callable[[Recorder], list[Coroutine]]
    lost_writes: Callable[[], Awaitable[int]]


def _cpu_seconds(server_pid: int, database: str) -> dict[tuple[str, int], float]:
    """CPU seconds so far, keyed by (role, pid): gunicorn's processes, `database`'s
    PostgreSQL backends and this load generator; ("busy" | "total", 0): the machine's
    jiffies since boot; ("wall", 0): the clock."""
    machine = [float(value) for value in Path("/proc/stat").read_text().split()[1:9]]
    found = {
        ("loadgen", 0): time.process_time(),
        ("wall", 0): time.perf_counter(),
        ("busy", 0): sum(machine) - machine[3] - machine[4],  # less idle and iowait
        ("total", 0): sum(machine),
    }
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes()
        except OSError:  # the process ended meanwhile
            continue
        if server_pid in (int(entry.name), int(stat[1])):
            role = "gunicorn"
        elif command.startswith(b"postgres: ") and f" {database} ".encode() in command:
            role = "postgres"
        else:
            continue
        found[role, int(entry.name)] = (int(stat[11]) + int(stat[12])) / CLOCK_TICKS
    return found


async def interleave(phases: dict[str, Phase], server, rounds: int) -> dict:
    """Run `phases` once per round, in order, so that load from anything else on the
    machine weighs on all alike: each slice `--warmup / rounds` seconds unrecorded,
    then `--seconds / rounds` recorded, metering CPU (did the load generator starve
    the server, did anything else run, what a request costs); figures per phase."""
    warmup = server.arguments.warmup / rounds
    seconds = server.arguments.seconds / rounds
    slices: dict[str, list[Recorder]] = {name: [] for name in phases}
    for number in range(1, rounds + 1):
        for name, phase in phases.items():
            await asyncio.to_thread(server.vacuum)
            label = f" round {number}/{rounds}" if rounds > 1 else ""
            print(f"{name}{label}: {warmup:g} s warm-up, {seconds:g} s", flush=True)
            recorder = Recorder(warmup, seconds)
            running = asyncio.gather(*phase.clients(recorder))
            cpu = []
            for moment in (recorder.begin, recorder.end):
                await asyncio.sleep(max(0.0, moment - time.perf_counter()))
                cpu.append(_cpu_seconds(server.pid, server.arguments.database))
            await asyncio.wait_for(running, 30)
            for (role, pid), value in cpu[1].items():
                recorder.cpu[role] += value - cpu[0].get((role, pid), 0.0)  # 0 if new
            recorder.lost_writes = await phase.lost_writes()
            slices[name].append(recorder)
    return {name: combine(parts) for name, parts in slices.items()}
