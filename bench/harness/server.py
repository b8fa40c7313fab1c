"""Run one HTTP benchmark against poster's gunicorn, started as `make run` starts it.

`run` recreates and migrates `--database`, serves, awaits the benchmark's
`drive(server)`, then prints the table and `verdict(results, notes)` and writes
var/bench/<name>.json. The database is dropped and gunicorn stopped on every exit.
"""

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis
from psycopg import sql

from bench.harness import loadgen, report
from scripts.run import child_commands, manage, stop_all

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE_URL, BROKER_URL = "redis://127.0.0.1:6379/13", "redis://127.0.0.1:6379/14"
OPTIONS = (  # flag, type, default, help
    ("--seconds", float, 15, "recorded, per phase"),
    ("--warmup", float, 3, "unrecorded, per phase"),
    ("--clients", int, 32, "keep-alive clients"),
    ("--rounds", int, 3, "interleaved phases alternate in this many slices"),
    ("--profile", int, None, "instead of the load, cProfile N requests of each kind"),
    ("--worker-class", str, "config.gunicorn_worker.SteadyThreadWorker", "make run's"),
    ("--workers", int, 2, "gunicorn processes"),
    ("--threads", int, 4, "threads per process"),
    ("--admin-url", str, "postgres://postgres@127.0.0.1:5432/postgres", "to create it"),
)
GUNICORN_OPTIONS = ("--keep-alive=30", "--backlog=256", "--log-level=warning")
THROTTLED = ("DEFAULT", "AUTOSAVE", "LEASES", "PUBLISH")  # scopes, far above any load
DESCRIBED = ("worker_class", "workers", "threads", "clients", "rounds", "warmup")


@dataclass
class Server:
    """gunicorn as `drive` sees it: the options, its port, the bench user's token."""

    arguments: argparse.Namespace
    environment: dict
    token: str
    pid: int = 0
    port: int = 0
    notes: dict = field(default_factory=dict)  # more for the verdict and the file

    async def interleave(self, phases: dict, *, rounds: int | None = None) -> dict:
        return await loadgen.interleave(phases, self, rounds or self.arguments.rounds)

    def connect(self, token: str | None = None) -> loadgen.Connection:
        """A connection sending JSON as the bench user, or as `token`'s."""
        return loadgen.Connection(self.port, loadgen.api_headers(token or self.token))

    def vacuum(self) -> None:
        """Start a slice on a vacuumed database: the local server runs no autovacuum."""
        url = self.environment["DATABASE_URL"]
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE")

    def call(self, function: Callable, **arguments) -> object:
        """`function(**arguments)` in the server's environment (`manage.py shell`);
        its value comes back through JSON."""
        call = f"{function.__name__}(**{arguments!r})"
        code = f"import json, {function.__module__} as m; print(json.dumps(m.{call}))"
        printed = manage(self.environment, "shell", "--no-imports", "-c", code)
        return json.loads(printed.splitlines()[-1])


def database_url(admin_url: str, name: str) -> str:
    return admin_url.rsplit("/", 1)[0] + "/" + name


def database_recreate(admin_url: str, name: str, *, create: bool = True) -> None:
    """Drop the database `name`, its connections with it; then create it afresh."""
    identifier = sql.Identifier(name)
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(identifier)
        )
        if create:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(identifier))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def _prepared(arguments: argparse.Namespace, settings: dict) -> Iterator[dict]:
    """The server's environment (with `settings`) on a fresh, migrated database.
    Request limits sit far above any load, but every request still pays for its
    counters in Redis db 13 (flushed first); the broker is db 14."""
    redis.Redis.from_url(CACHE_URL).flushdb()
    database_recreate(arguments.admin_url, arguments.database)
    try:
        with tempfile.TemporaryDirectory(prefix="poster-bench-") as var_dir:
            environment = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "bench.harness.settings",
                "DATABASE_URL": database_url(arguments.admin_url, arguments.database),
                "CONN_MAX_AGE": "600",
                "CELERY_BROKER_URL": BROKER_URL,
                "CACHE_URL": CACHE_URL,
                **{f"THROTTLE_{scope}": "100000/s" for scope in THROTTLED},
                "SECRET_KEY": secrets.token_urlsafe(50),
                "DEBUG": "false",
                "LOG_LEVEL": "WARNING",
                "ALLOWED_HOSTS": "127.0.0.1",
                "POSTER_VAR_DIR": var_dir,
                **settings,
            }
            manage(environment, "migrate", "--noinput", "--verbosity=0")
            yield environment
    finally:
        database_recreate(arguments.admin_url, arguments.database, create=False)


@contextlib.contextmanager
def gunicorn_serving(
    arguments: argparse.Namespace, environment: dict, *, log_path: Path
) -> Iterator[tuple[subprocess.Popen, int]]:
    """`make run`'s gunicorn command (scripts/run.py) with `arguments.workers`,
    `.threads` and `.worker_class`, on a free port, ready: (its process, its port).
    Its log's tail on failure; stopped as `make run` stops it on exit."""
    port = free_port()
    environment = environment | {
        "BIND_HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": str(arguments.workers),
        "WEB_THREADS": str(arguments.threads),
    }
    # gunicorn takes the last of each option: this worker class over make run's.
    command = [*child_commands(environment)["web"], *GUNICORN_OPTIONS]
    command.append(f"--worker-class={arguments.worker_class}")
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline, url = time.monotonic() + 30, f"http://127.0.0.1:{port}/healthz"
        while process.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2):
                break  # answered; on OSError, not yet listening
            time.sleep(0.2)
        else:
            raise RuntimeError(f"gunicorn not ready (exit status {process.poll()})")
        yield process, port
    except BaseException:
        print(f"gunicorn's log:\n{log_path.read_text()[-3000:]}", file=sys.stderr)
        raise
    finally:
        stop_all({"web": process})


def run(
    parser: argparse.ArgumentParser,
    *,
    name: str,
    phases: tuple[str, ...],
    database: str,
    drive: Callable[[Server], Awaitable[dict]],
    verdict: Callable[[dict, dict], dict],
    settings: dict | None = None,
) -> None:
    """The whole benchmark, as the module docstring says."""
    for flag, kind, default, text in OPTIONS:
        parser.add_argument(flag, type=kind, default=default, help=text)
    parser.add_argument("--database", default=database)
    parser.add_argument("--phases", default=",".join(phases), help="comma-separated")
    arguments = parser.parse_args()
    arguments.phases = arguments.phases.split(",")
    if unknown := set(arguments.phases) - set(phases):
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")
    if arguments.database in ("test", "test_test"):
        parser.error("the test suites use that database")
    with _prepared(arguments, settings or {}) as environment:
        token = manage(environment, "create_api_user", "bench")
        if arguments.profile:  # in this process, through poster's WSGI app
            from bench.harness import profile  # imports Django, and Server from here

            return profile.main(drive, arguments, environment, token)
        server = Server(arguments, environment, token)
        log_path = Path(environment["POSTER_VAR_DIR"]) / "gunicorn.log"
        with gunicorn_serving(arguments, environment, log_path=log_path) as served:
            server.pid, server.port = served[0].pid, served[1]
            results = asyncio.run(drive(server))
    described = {option: getattr(arguments, option) for option in DESCRIBED}
    described |= {"seconds": arguments.seconds, "cpu_count": os.cpu_count()}
    report.table(results, described)
    summary = verdict(results, server.notes)
    document = {"server": described, **summary, **server.notes, "phases": results}
    report.write(name, document)
