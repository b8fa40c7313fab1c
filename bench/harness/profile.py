"""Profile requests in-process, through poster's WSGI app, with no server or socket.

`run.py --profile N` runs a benchmark's `profile()` in `manage.py shell`, in the
server's environment; that builds one sender per kind of request and hands them here:

    send = wsgi_sender()
    measure_kinds({"baseline": lambda: send("POST", path, payload, headers)}, ...)

Each request is a WSGI call, exactly what gunicorn hands Django. Prints per kind the
mean wall and CPU time a request (on a saturated machine the CPU a request burns
bounds throughput) and its SQL; then cProfile's top functions by own and cumulative
time, and poster's own by cumulative time, where a change in poster's code would pay.
psycopg's `wait` is waiting for PostgreSQL, not CPU.
"""

import cProfile
import io
import json
import pstats
import sys
import time
from collections.abc import Callable

from bench.harness.server import REPO_ROOT

POSTER_PACKAGES = ("config/", "core/", "media_uploads/", "drafts/", "poster/")


def wsgi_sender() -> Callable[..., tuple[int, bytes]]:
    """`send(method, path, payload, headers)` -> (status, body), through WSGI."""
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()

    def send(method: str, path: str, payload: dict, headers: dict) -> tuple[int, bytes]:
        body = json.dumps(payload).encode()
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "SCRIPT_NAME": "",
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_HOST": "127.0.0.1",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0),
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()},
        }
        status = []
        chunks = application(environ, lambda line, _headers: status.append(line))
        answer = b"".join(chunks)
        chunks.close()
        return int(status[0].split()[0]), answer

    return send


def _location(filename: str, line: int, function: str) -> str:
    """`rest_framework/fields.py:123 to_representation`, not the venv's full path."""
    for marker in ("site-packages/", "lib/python3.11/", f"{REPO_ROOT}/"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            break
    return f"{filename}:{line} {function}"


def _print_profile(kind: str, profiler: cProfile.Profile, *, requests: int, top: int):
    """Top functions by own and cumulative time, in microseconds per request."""
    rows = [
        (own, cumulative, calls, location)
        for location, (_, calls, own, cumulative, _) in (
            pstats.Stats(profiler).stats.items()
        )
    ]
    ours = [
        row
        for row in rows
        if row[3][0].removeprefix(f"{REPO_ROOT}/").startswith(POSTER_PACKAGES)
    ]
    for title, chosen, column in (
        ("own time", rows, 0),
        ("cumulative time", rows, 1),
        ("cumulative time, poster's functions", ours, 1),
    ):
        print(f"\n=== {kind}: top {top} by {title}, us per request")
        print(f"{'own':>8}{'cum':>8}{'calls':>7}  function")
        for own, cumulative, calls, location in sorted(
            chosen, key=lambda row: -row[column]
        )[:top]:
            print(
                f"{own * 1e6 / requests:>8.1f}{cumulative * 1e6 / requests:>8.1f}"
                f"{calls / requests:>7.1f}  {_location(*location)}"
            )


def measure_kinds(
    senders: dict[str, Callable[[], None]],
    *,
    requests: int,
    warmup: int,
    top: int = 30,
) -> None:
    """For each kind: its SQL, wall and CPU time per request; then its profile."""
    from django.db import connection

    queries: list[str] = []

    def capture(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    for kind, send in senders.items():
        for _ in range(warmup):  # connection, URL and serializer caches
            send()
        queries.clear()
        with connection.execute_wrapper(capture):
            send()
        started, cpu_started = time.perf_counter(), time.process_time()
        for _ in range(requests):
            send()
        wall_ms = (time.perf_counter() - started) * 1000 / requests
        cpu_ms = (time.process_time() - cpu_started) * 1000 / requests
        print(
            f"{kind}: {wall_ms:.3f} ms wall, {cpu_ms:.3f} ms CPU of this process "
            f"per request; {len(queries)} queries (+ the CONN_HEALTH_CHECKS ping):"
        )
        for sql in queries:
            print(f"    {sql[:150]}")
    for kind, send in senders.items():
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(requests):
            send()
        profiler.disable()
        _print_profile(kind, profiler, requests=requests, top=top)
