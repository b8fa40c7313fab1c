"""Profile autosave and baseline requests in-process, through poster's WSGI app.

Run by `run.py --profile N` in the benchmark's server environment (settings, database,
token); it can also be run by hand with that environment:

    python -m bench.autosave.profile_request --token KEY [--requests 2000]

Each request is a WSGI call with a 2-4 KB body, exactly what gunicorn hands Django,
minus the socket. Prints for each kind the mean wall and CPU time per request (on a
saturated machine the CPU a request burns is what bounds throughput) and the SQL it
runs, then cProfile's top functions by own and by cumulative time; psycopg's `wait`
there is time spent waiting for PostgreSQL, not CPU.
"""

import argparse
import cProfile
import functools
import io
import json
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path

import django

REQUEST_KINDS = ("baseline", "autosave")
REPO_ROOT = Path(__file__).resolve().parents[2]


def wsgi_call(application: Callable, method: str, path: str, body: bytes, headers):
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
        **{f"HTTP_{name.upper().replace('-', '_')}": v for name, v in headers.items()},
    }
    status_holder = []
    chunks = application(environ, lambda status, _headers: status_holder.append(status))
    payload = b"".join(chunks)
    chunks.close()
    return int(status_holder[0].split()[0]), payload


def short_location(filename: str, line: int, function: str) -> str:
    """`rest_framework/fields.py:123 to_representation`, not the venv's full path."""
    for marker in ("site-packages/", "lib/python3.11/", str(REPO_ROOT) + "/"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            break
    return f"{filename}:{line} {function}"


def print_profile(kind: str, profiler: cProfile.Profile, *, requests: int, top: int):
    """Top functions by own and cumulative time, in microseconds per request."""
    rows = [
        (own, cumulative, calls, short_location(*location))
        for location, (_, calls, own, cumulative, _) in (
            pstats.Stats(profiler).stats.items()
        )
    ]
    for title, column in (("own", 0), ("cumulative", 1)):
        print(f"\n=== {kind}: top {top} by {title} time, us per request")
        print(f"{'own':>8}{'cum':>8}{'calls':>7}  function")
        for own, cumulative, calls, name in sorted(rows, key=lambda r: -r[column])[
            :top
        ]:
            print(
                f"{own * 1e6 / requests:>8.1f}{cumulative * 1e6 / requests:>8.1f}"
                f"{calls / requests:>7.1f}  {name}"
            )


def measure_kinds(
    senders: dict[str, Callable[[], None]],
    *,
    requests: int,
    top: int,
    warmup: int = 200,
    after_profile: Callable[[str, cProfile.Profile], None] | None = None,
) -> None:
    """For each kind: its SQL, wall and CPU time per request, then its profile."""
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
        print_profile(kind, profiler, requests=requests, top=top)
        if after_profile is not None:
            after_profile(kind, profiler)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--token", required=True)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--top", type=int, default=25)
    arguments = parser.parse_args()
    django.setup()
    from django.core.wsgi import get_wsgi_application

    from bench.autosave.workload import Typing

    application = get_wsgi_application()
    auth = {"Authorization": f"Token {arguments.token}"}
    typing = Typing(seed=7)
    status, created = wsgi_call(
        application,
        "POST",
        "/api/v1/drafts/",
        json.dumps({"title": "profile", "body": typing.text}).encode(),
        auth,
    )
    assert status == 201, created
    draft = json.loads(created)
    version = draft["version"]

    def one(kind: str) -> None:
        nonlocal version
        body = json.dumps({"body": typing.advance()}).encode()
        if kind == "baseline":
            status, _ = wsgi_call(
                application, "POST", f"/bench/baseline/{draft['id']}/", body, auth
            )
            version += 1
        else:
            headers = {**auth, "If-Match": f'"{version}"'}
            status, payload = wsgi_call(
                application, "PATCH", f"/api/v1/drafts/{draft['id']}/", body, headers
            )
            version = json.loads(payload)["version"]
        assert status == 200, status

    measure_kinds(
        {kind: functools.partial(one, kind) for kind in REQUEST_KINDS},
        requests=arguments.requests,
        top=arguments.top,
    )


if __name__ == "__main__":
    main()
