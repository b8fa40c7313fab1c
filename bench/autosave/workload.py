"""What the load generator's clients type, and how their requests are measured.

A `Recorder` splits a phase into an unrecorded warm-up and a recorded window; a
request counts when it finishes inside the window, filed under its outcome ("fast",
"merged", "http 412", ...). `summarize` turns the latencies into requests/s, p50 and
p99. `CpuMeter` tells how much CPU the load generator, gunicorn, PostgreSQL and the
whole machine used in the window: whether the generator starved the server, whether
something else ran on the machine meanwhile, and the CPU each request costs, which
does not depend on the neighbours the way requests/s does.
"""

import asyncio
import contextlib
import os
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

START_BODY_CHARACTERS = 2048
MAX_BODY_CHARACTERS = 4096
TYPED_TEXT = (
    "the draft grows as someone types a few words every second while the client "
    "saves what is on screen with the version it last saw so nothing gets lost"
)
WORDS = TYPED_TEXT.split()
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class Typing:
    """A body of about 2 KB that grows a word per save, back to 2 KB past 4 KB."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)
        words: list[str] = []
        while sum(len(word) + 1 for word in words) < START_BODY_CHARACTERS:
            words.append(self._random.choice(WORDS))
        self._start = " ".join(words)
        self.text = self._start

    def advance(self) -> str:
        self.text += " " + self._random.choice(WORDS)
        if len(self.text) > MAX_BODY_CHARACTERS:
            self.text = self._start
        return self.text


@dataclass
class Draft:
    """A draft as its clients believe it is stored: the last accepted write."""

    id: str
    version: int
    body: str = ""
    title: str = ""


@dataclass
class Recorder:
    warmup: float
    seconds: float
    started_at: float = field(default_factory=time.perf_counter)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    @property
    def window(self) -> tuple[float, float]:
        begin = self.started_at + self.warmup
        return begin, begin + self.seconds

    def is_running(self) -> bool:
        return time.perf_counter() < self.window[1]

    def record(self, outcome: str, started: float, finished: float) -> None:
        begin, end = self.window
        if begin <= finished <= end:
            self.latencies[outcome].append(finished - started)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = min(len(ordered), max(1, round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summarize(latencies: list[float], seconds: float) -> dict:
    if not latencies:
        return {"requests": 0, "rps": 0.0, "p50_ms": None, "p99_ms": None}
    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / seconds, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
    }


def _process_cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far (fields 14 and 15 of its stat)."""
    after_name = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(after_name[11]) + int(after_name[12])) / CLOCK_TICKS


def _server_processes(server_pid: int, database: str) -> dict[int, str]:
    """gunicorn's arbiter and workers, and the PostgreSQL backends of `database`."""
    found = {server_pid: "gunicorn"}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent_pid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except OSError:  # the process ended meanwhile
            continue
        if parent_pid == server_pid:
            found[int(entry.name)] = "gunicorn"
        elif command.startswith(b"postgres: ") and f" {database} ".encode() in command:
            found[int(entry.name)] = "postgres"
    return found


class CpuMeter:
    """CPU used in the recorded window, in cores: by this load generator, by gunicorn
    (arbiter and workers), by the PostgreSQL backends serving it, and by the whole
    machine (which includes anything else running on it)."""

    def __init__(self, *, server_pid: int, database: str) -> None:
        self.server_pid = server_pid
        self.database = database
        self.result: dict[str, float] = {}

    def _server_cpu_seconds(self) -> dict[int, tuple[str, float]]:
        seconds = {}
        for pid, role in _server_processes(self.server_pid, self.database).items():
            with contextlib.suppress(OSError):
                seconds[pid] = (role, _process_cpu_seconds(pid))
        return seconds

    @staticmethod
    def _machine_jiffies() -> tuple[float, float]:
        """(busy, total) since boot, from the first line of /proc/stat."""
        counters = [
            float(value) for value in Path("/proc/stat").read_text().split()[1:9]
        ]
        idle = counters[3] + counters[4]  # idle + iowait
        return sum(counters) - idle, sum(counters)

    async def measure(self, recorder: Recorder) -> None:
        begin, end = recorder.window
        await asyncio.sleep(max(0.0, begin - time.perf_counter()))
        own_before, wall_before = time.process_time(), time.perf_counter()
        busy_before, total_before = self._machine_jiffies()
        server_before = self._server_cpu_seconds()
        await asyncio.sleep(max(0.0, end - time.perf_counter()))
        busy_after, total_after = self._machine_jiffies()
        server_after = self._server_cpu_seconds()
        wall = time.perf_counter() - wall_before
        used = dict.fromkeys(("gunicorn", "postgres"), 0.0)
        for pid, (role, seconds) in server_after.items():
            used[role] += seconds - server_before.get(pid, (role, 0.0))[1]
        self.result = {
            "loadgen_cpu_cores": round((time.process_time() - own_before) / wall, 2),
            "gunicorn_cpu_cores": round(used["gunicorn"] / wall, 2),
            "postgres_cpu_cores": round(used["postgres"] / wall, 2),
            "machine_busy_pct": round(
                100 * (busy_after - busy_before) / max(1.0, total_after - total_before),
                1,
            ),
        }
