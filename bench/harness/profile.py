"""Profile a benchmark's own clients in-process: no server, requests as WSGI calls.

`run.py --profile N` hands the benchmark's `drive` an `InProcess` target. One client
a phase sends 200 requests to warm up, one whose SQL is printed, N timed (wall and
CPU a request) and N under cProfile; psycopg's `wait` is waiting for PostgreSQL, not
CPU. Phases that need saturated figures (paced) skip.
"""

import argparse
import asyncio
import contextlib
import cProfile
import importlib
import io
import os
import pstats
import time
import wsgiref.util

from bench.harness.loadgen import Recorder, Response, api_headers
from bench.harness.server import REPO_ROOT, Server

POSTER_PACKAGES = ("config/", "core/", "media_uploads/", "drafts/", "poster/")
WARMUP_REQUESTS, TOP = 200, 30


class WsgiConnection:
    """loadgen.Connection's interface, answered by poster's WSGI app in-process."""

    def __init__(self, headers: dict[str, str]) -> None:
        from django.core.wsgi import get_wsgi_application

        self.application = get_wsgi_application()
        self.headers = {"Host": "127.0.0.1", **headers}

    async def request(
        self, method: str, path: str, *, body: bytes = b"", headers: dict | None = None
    ) -> Response:
        sent = {**self.headers, **(headers or {})}
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "CONTENT_TYPE": sent.pop("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in sent.items()},
        }
        wsgiref.util.setup_testing_defaults(environ)  # the rest of a WSGI environ
        started: list = []
        chunks = self.application(environ, lambda *status: started.extend(status))
        answer = b"".join(chunks)
        chunks.close()
        found = {name.lower(): value for name, value in started[1]}
        return Response(int(started[0].split()[0]), found, answer)

    async def close(self) -> None:
        pass


class ProfileRecorder(Recorder):
    """Ticks through the stages (warm-up, SQL, timed, profiled) of one client."""

    def __init__(self, name: str, requests: int) -> None:
        super().__init__(warmup=0, seconds=0)
        self.name, self.requests, self.sent = name, requests, 0

    async def ticks(self, interval: float | None, seed: int):
        from django.db import connection

        queries: list[str] = []

        def capture(execute, sql, *rest):
            queries.append(sql)
            return execute(sql, *rest)

        profiler, requests = cProfile.Profile(), self.requests
        stages = (("warm-up", WARMUP_REQUESTS), ("SQL", 1))
        for stage, count in (*stages, ("timed", requests), ("profile", requests)):
            self.sent = 0
            started, cpu_started = time.perf_counter(), time.process_time()
            with contextlib.ExitStack() as stack:
                if stage == "SQL":
                    stack.enter_context(connection.execute_wrapper(capture))
                if stage == "profile":
                    stack.enter_context(profiler)
                while self.sent < count:
                    yield None
            if stage == "timed":
                wall_ms = (time.perf_counter() - started) * 1000 / self.sent
                cpu_ms = (time.process_time() - cpu_started) * 1000 / self.sent
                print(
                    f"{self.name}: {wall_ms:.3f} ms wall, {cpu_ms:.3f} ms CPU a "
                    f"request; {len(queries)} queries (+ CONN_HEALTH_CHECKS' ping):"
                )
                print("".join(f"    {sql[:150]}\n" for sql in queries), end="")
        _print_profile(self.name, profiler, requests=self.sent)

    async def timed(self, *arguments, **options) -> Response | None:
        self.sent += 1
        return await super().timed(*arguments, **options)


def _print_profile(kind: str, profiler: cProfile.Profile, *, requests: int) -> None:
    """Top functions by own and cumulative time, then poster's own by cumulative
    time, in microseconds per request."""
    rows, stats = [], pstats.Stats(profiler).stats
    for (filename, line, function), (_, calls, own, cumulative, _) in stats.items():
        path = filename.removeprefix(f"{REPO_ROOT}/")
        ours = path.startswith(POSTER_PACKAGES)
        for marker in ("site-packages/", "lib/python3.11/"):  # not the venv's path
            if marker in path:
                path = path.split(marker, 1)[1]
                break
        rows.append((own, cumulative, calls, f"{path}:{line} {function}", ours))
    for title, column, chosen in (
        ("own time", 0, rows),
        ("cumulative time", 1, rows),
        ("cumulative time, poster's functions", 1, [row for row in rows if row[4]]),
    ):
        print(f"\n=== {kind}: top {TOP} by {title}, us per request")
        print(f"{'own':>8}{'cum':>8}{'calls':>7}  function")
        for own, cumulative, calls, where, _ in sorted(
            chosen, key=lambda row: -row[column]
        )[:TOP]:
            print(
                f"{own * 1e6 / requests:>8.1f}{cumulative * 1e6 / requests:>8.1f}"
                f"{calls / requests:>7.1f}  {where}"
            )


class InProcess(Server):
    """The server as `drive` sees it, in-process."""

    def connect(self, token: str | None = None) -> WsgiConnection:
        return WsgiConnection(api_headers(token or self.token))

    def call(self, function: str, **arguments) -> object:
        module, name = function.rsplit(".", 1)
        return getattr(importlib.import_module(module), name)(**arguments)

    async def interleave(self, phases: dict, *, rounds: int | None = None) -> dict:
        for name, phase in phases.items():
            recorder = ProfileRecorder(name, self.arguments.profile)
            first, *others = phase.clients(recorder)
            for other in others:
                other.close()
            await first
        return {}  # no figures: phases that need them (paced) skip


def main(module: str, arguments: dict, token: str) -> None:
    """Profile `module`'s drive (a benchmark's run.py), `--profile` requests a phase."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # WSGI calls inside the loop
    drive = importlib.import_module(module).drive
    target = InProcess(argparse.Namespace(**arguments), dict(os.environ), token, ())
    asyncio.run(drive(target))
