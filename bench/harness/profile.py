"""Profile a benchmark's own clients in-process: no server, requests as WSGI calls.

`run.py --profile N` sets Django up in its own process, on the benchmark's database,
and hands `drive` an `InProcess` target. One client a phase sends 200 requests to
warm up, one whose SQL is printed, N timed (wall and CPU a request) and N under
cProfile, whose tops by own and cumulative time, then poster's own functions, are
printed as totals over the N. psycopg's `wait` is waiting for PostgreSQL, not CPU.
Phases that need saturated figures (paced) skip.
"""

import argparse
import asyncio
import contextlib
import cProfile
import io
import os
import pstats
import re
import time
import wsgiref.util
from collections.abc import Callable

import django
from django.core.wsgi import get_wsgi_application
from django.db import connection

from bench.harness.loadgen import Recorder, Response, api_headers
from bench.harness.server import REPO_ROOT, Server

POSTER_PACKAGES = "config|core|media_uploads|drafts|poster"
WARMUP_REQUESTS, TOP = 200, 30


class WsgiConnection:
    """loadgen.Connection's interface, answered by poster's WSGI app in-process."""

    def __init__(self, headers: dict[str, str]) -> None:
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
        queries: list[str] = []

        def capture(execute, sql, *rest):
            queries.append(sql)
            return execute(sql, *rest)

        profiler = cProfile.Profile()
        for stage, count, context in (
            ("warm-up", WARMUP_REQUESTS, contextlib.nullcontext()),
            ("SQL", 1, connection.execute_wrapper(capture)),
            ("timed", self.requests, contextlib.nullcontext()),
            ("profiled", self.requests, profiler),
        ):
            self.sent = 0
            started, cpu_started = time.perf_counter(), time.process_time()
            with context:
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
        print(
            f"\n=== {self.name}: cProfile of {self.sent} requests: tops by own time, "
            f"cumulative time, poster's ({1e6 / self.sent:g} x seconds = us a request)"
        )
        stats = pstats.Stats(profiler).sort_stats("tottime").print_stats(TOP)
        ours = f"^{re.escape(str(REPO_ROOT))}/({POSTER_PACKAGES})/"  # path:line(name)
        stats.sort_stats("cumulative").print_stats(TOP).print_stats(ours, TOP)

    async def timed(self, *arguments, **options) -> Response | None:
        self.sent += 1
        return await super().timed(*arguments, **options)


class InProcess(Server):
    """The server as `drive` sees it, in-process."""

    def connect(self, token: str | None = None) -> WsgiConnection:
        return WsgiConnection(api_headers(token or self.token))

    def call(self, function: Callable, **arguments) -> object:
        return function(**arguments)

    async def interleave(self, phases: dict, *, rounds: int | None = None) -> dict:
        for name, phase in phases.items():
            recorder = ProfileRecorder(name, self.arguments.profile)
            first, *others = phase.clients(recorder)
            for other in others:
                other.close()
            await first
        return {}  # no figures: phases that need them (paced) skip


def main(
    drive: Callable, arguments: argparse.Namespace, environment: dict, token: str
) -> None:
    """Profile `drive`, `--profile` requests a phase, in the server's environment."""
    os.environ.update(environment, DJANGO_ALLOW_ASYNC_UNSAFE="true")  # WSGI in a loop
    django.setup()
    asyncio.run(drive(InProcess(arguments, environment, token)))
