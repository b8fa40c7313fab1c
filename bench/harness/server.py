"""Run one HTTP benchmark against poster's gunicorn, started as `make run` starts it.

    async def drive(server: Server) -> dict:  # phase name -> figures
        return await server.interleave({"baseline": ..., "autosave": ...})

    run(parser, name="autosave", phases=PHASES, database="poster_bench",
        tables=TABLES, drive=drive, verdict=verdict)

`run` parses the options every benchmark shares, recreates and migrates `--database`
(never the test suites'), creates the API user `bench`, starts gunicorn on a free
port with settings.py (poster's, plus the baseline view's URL) and awaits `drive`;
then prints the table and `verdict(results, notes)` and writes var/bench/<name>.json.
Request limits sit far above any load, but every request still pays for its counters
in Redis db 13; the broker is db 14. With `--profile N` it profiles `drive`'s clients
in-process instead (profile.py). The database is dropped and gunicorn's process
group stopped on every exit.
"""

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import signal
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

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE_URL, BROKER_URL = "redis://127.0.0.1:6379/13", "redis://127.0.0.1:6379/14"
UNLIMITED_RATE = "100000/s"
STOP_GRACE_SECONDS = 10
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


@dataclass
class Server:
    """gunicorn, as `drive` sees it: its port, the bench user's token, the options."""

    arguments: argparse.Namespace
    environment: dict
    token: str
    tables: tuple[str, ...]
    pid: int = 0
    port: int = 0
    notes: dict = field(default_factory=dict)  # more for the verdict and the file

    async def interleave(self, phases: dict, *, rounds: int | None = None) -> dict:
        """loadgen.interleave over this run's timing, vacuuming before each slice."""
        meter = loadgen.CpuMeter(server_pid=self.pid, database=self.arguments.database)
        return await loadgen.interleave(
            phases,
            rounds=rounds or self.arguments.rounds,
            warmup=self.arguments.warmup,
            seconds=self.arguments.seconds,
            meter=meter,
            before_slice=self.vacuum,
        )

    def connect(self, headers: dict[str, str]) -> loadgen.Connection:
        return loadgen.Connection(self.port, headers)

    def vacuum(self) -> None:
        """Start a slice on vacuumed tables: the local server runs no autovacuum."""
        url = self.environment["DATABASE_URL"]
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(f"VACUUM ANALYZE {', '.join(self.tables)}")  # constants

    def call(self, function: str, *, capture: bool = True, **arguments) -> object:
        """`module.function(**arguments)` in `manage.py shell` in the server's
        environment: its value through JSON, or None with its output shown."""
        call = f"{function}(**{arguments!r})"
        code = f"import json, {function.rsplit('.', 1)[0]}; "
        code += f"print(json.dumps({call}))" if capture else call
        shell = ("shell", "--no-imports", "-c", code)
        printed = _manage(self.environment, *shell, capture=capture)
        return json.loads(printed.splitlines()[-1]) if capture else None


def _manage(environment: dict, *arguments: str, capture: bool = True) -> str:
    completed = subprocess.run(
        [sys.executable, str(REPO_ROOT / "manage.py"), *arguments],
        cwd=REPO_ROOT,
        env=environment,
        check=True,
        stdout=subprocess.PIPE if capture else None,
        text=True,
        timeout=900,
    )
    return (completed.stdout or "").strip()


def _parse(parser: argparse.ArgumentParser, *, phases: tuple, database: str):
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
    return arguments


def _database_recreate(arguments: argparse.Namespace, *, create: bool) -> str:
    name = sql.Identifier(arguments.database)
    with psycopg.connect(arguments.admin_url, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name)
        )
        if create:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(name))
    return arguments.admin_url.rsplit("/", 1)[0] + "/" + arguments.database


@contextlib.contextmanager
def _prepared(arguments: argparse.Namespace, settings: dict) -> Iterator[dict]:
    """The server's environment (with `settings`) on a fresh, migrated database."""
    redis.Redis.from_url(CACHE_URL).flushdb()
    url = _database_recreate(arguments, create=True)
    try:
        with tempfile.TemporaryDirectory(prefix="poster-bench-") as var_dir:
            path = filter(None, [str(REPO_ROOT), os.getenv("PYTHONPATH")])
            environment = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "bench.harness.settings",
                "PYTHONPATH": os.pathsep.join(path),
                "DATABASE_URL": url,
                "CONN_MAX_AGE": "600",
                "CELERY_BROKER_URL": BROKER_URL,
                "CACHE_URL": CACHE_URL,
                **{
                    f"THROTTLE_{scope}": UNLIMITED_RATE
                    for scope in ("DEFAULT", "AUTOSAVE", "LEASES", "PUBLISH")
                },
                "SECRET_KEY": secrets.token_urlsafe(50),
                "DEBUG": "false",
                "LOG_LEVEL": "WARNING",
                "ALLOWED_HOSTS": "127.0.0.1",
                "POSTER_VAR_DIR": var_dir,
                **settings,
            }
            _manage(environment, "migrate", "--noinput", "--verbosity=0")
            yield environment
    finally:
        _database_recreate(arguments, create=False)


def _wait_ready(process: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz within 30 s")


@contextlib.contextmanager
def _serving(server: Server) -> Iterator[None]:
    """gunicorn on a free port, ready; its log on failure; its group stopped on exit."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        server.port = probe.getsockname()[1]
    log_path = Path(server.environment["POSTER_VAR_DIR"]) / "gunicorn.log"
    arguments = server.arguments
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "config.wsgi:application",
        f"--bind=127.0.0.1:{server.port}",
        f"--worker-class={arguments.worker_class}",
        f"--workers={arguments.workers}",
        f"--threads={arguments.threads}",
        "--keep-alive=30",
        "--backlog=256",
        "--graceful-timeout=5",
        "--log-level=warning",
    ]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=server.environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server.pid = process.pid
    try:
        _wait_ready(process, server.port)
        yield
    except BaseException:
        print(f"gunicorn's log:\n{log_path.read_text()[-3000:]}", file=sys.stderr)
        raise
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def run(
    parser: argparse.ArgumentParser,
    *,
    name: str,
    phases: tuple[str, ...],
    database: str,
    tables: tuple[str, ...],
    drive: Callable[[Server], Awaitable[dict]],
    verdict: Callable[[dict, dict], dict],
    settings: dict | None = None,
) -> int:
    """The whole benchmark, as the module docstring says; the exit status."""
    arguments = _parse(parser, phases=phases, database=database)
    with _prepared(arguments, settings or {}) as environment:
        token = _manage(environment, "create_api_user", "bench")
        server = Server(arguments, environment, token, tables)
        if arguments.profile:
            server.call(
                "bench.harness.profile.main",
                capture=False,
                module=f"bench.{name}.run",
                arguments=vars(arguments),
                token=token,
                requests=arguments.profile,
            )
            return 0
        with _serving(server):
            results = asyncio.run(drive(server))
    options = ("worker_class", "workers", "threads", "clients", "rounds", "warmup")
    described = {option: getattr(arguments, option) for option in options}
    described |= {"seconds": arguments.seconds, "cpu_count": os.cpu_count()}
    report.table(results, described)
    summary = verdict(results, server.notes)
    document = {"server": described, **summary, **server.notes, "phases": results}
    report.write(name, document)
    return 0
