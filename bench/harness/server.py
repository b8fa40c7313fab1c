"""Start poster's gunicorn as `make run` does, on a database of the benchmark's own.

    arguments = server.parse(parser, phases=PHASES, database="poster_bench")
    with server.prepared(arguments) as environment:  # fresh database, migrated
        token = server.manage(environment, "create_api_user", "bench")
        with server.serving(arguments, environment) as (pid, port):
            ...  # drive the load at 127.0.0.1:port

The settings are poster's plus the baseline view's URL (settings.py), with request
limits far above any load (every request still pays for its counters in Redis db 13)
and the broker on Redis db 14, both apart from the test suites' dbs. The database is
dropped, and gunicorn's whole process group stopped, on every exit.
"""

import argparse
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
from collections.abc import Iterator
from pathlib import Path

import psycopg
import redis
from psycopg import sql

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE_URL = "redis://127.0.0.1:6379/13"
BROKER_URL = "redis://127.0.0.1:6379/14"
UNLIMITED_RATE = "100000/s"
STOP_GRACE_SECONDS = 10


def parse(
    parser: argparse.ArgumentParser, *, phases: tuple[str, ...], database: str
) -> argparse.Namespace:
    """The options every HTTP benchmark shares, parsed; `phases` becomes a list."""
    parser.add_argument("--seconds", type=float, default=15, help="recorded, per phase")
    parser.add_argument("--warmup", type=float, default=3, help="unrecorded, per phase")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument(
        "--rounds", type=int, default=3, help="interleaved phases split their time"
    )
    parser.add_argument(
        "--phases", default=",".join(phases), help="comma-separated (default: all)"
    )
    parser.add_argument(
        "--profile",
        type=int,
        metavar="N",
        help="instead of the load, cProfile N in-process requests of each kind",
    )
    parser.add_argument(
        "--worker-class",
        default="config.gunicorn_worker.SteadyThreadWorker",
        help="make run's: gthread, steady under load (config/gunicorn_worker.py)",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database", default=database)
    parser.add_argument(
        "--admin-url",
        default="postgres://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL database to create and drop the benchmark database from",
    )
    arguments = parser.parse_args()
    arguments.phases = arguments.phases.split(",")
    if unknown := set(arguments.phases) - set(phases):
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")
    if arguments.database in ("test", "test_test"):
        parser.error("the test suites use that database")
    return arguments


def describe(arguments: argparse.Namespace) -> dict:
    """How gunicorn and the load were set up, for the report and the results file."""
    names = ("worker_class", "workers", "threads", "clients", "rounds", "warmup")
    return {
        **{name: getattr(arguments, name) for name in names},
        "seconds": arguments.seconds,
        "cpu_count": os.cpu_count(),
    }


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
def prepared(arguments: argparse.Namespace, **settings: str) -> Iterator[dict]:
    """The server's environment (plus `settings`) on a fresh, migrated database."""
    redis.Redis.from_url(CACHE_URL).flushdb()
    url = _database_recreate(arguments, create=True)
    try:
        with tempfile.TemporaryDirectory(prefix="poster-bench-") as var_dir:
            path = os.pathsep.join(
                filter(None, [str(REPO_ROOT), os.getenv("PYTHONPATH")])
            )
            environment = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "bench.harness.settings",
                "PYTHONPATH": path,
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
            manage(environment, "migrate", "--noinput", "--verbosity=0")
            yield environment
    finally:
        _database_recreate(arguments, create=False)


def manage(environment: dict, *arguments: str, capture: bool = True) -> str:
    """Run manage.py in the server's environment; its output, if captured."""
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


def django_call(
    environment: dict, function: str, *, capture: bool = True, **arguments: object
) -> object:
    """`module.function(**arguments)` in `manage.py shell`, in the server's
    environment: its value, through JSON, or None with `capture=False` (its output
    goes to this terminal)."""
    call = f"{function}(**{arguments!r})"
    code = f"import json, {function.rsplit('.', 1)[0]}; "
    code += f"print(json.dumps({call}))" if capture else call
    printed = manage(environment, "shell", "--no-imports", "-c", code, capture=capture)
    return json.loads(printed.splitlines()[-1]) if capture else None


def vacuum(environment: dict, tables: tuple[str, ...]) -> None:
    """Start a slice on vacuumed tables: the local server runs no autovacuum."""
    with psycopg.connect(environment["DATABASE_URL"], autocommit=True) as connection:
        connection.execute(f"VACUUM ANALYZE {', '.join(tables)}")  # constants only


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_ready(server: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz within 30 s")


def _stop(server: subprocess.Popen) -> None:
    """SIGTERM gunicorn's process group (arbiter and workers), SIGKILL if it lingers."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@contextlib.contextmanager
def serving(arguments: argparse.Namespace, environment: dict) -> Iterator[tuple]:
    """gunicorn on a free port, ready: yields its pid and port; its log on failure."""
    port = _free_port()
    log_path = Path(environment["POSTER_VAR_DIR"]) / "gunicorn.log"
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "config.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--worker-class={arguments.worker_class}",
        f"--workers={arguments.workers}",
        f"--threads={arguments.threads}",
        "--keep-alive=30",
        "--backlog=256",
        "--graceful-timeout=5",
        "--log-level=warning",
    ]
    with log_path.open("w") as log:
        server = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_ready(server, port)
        yield server.pid, port
    except BaseException:
        print(f"gunicorn's log:\n{log_path.read_text()[-3000:]}", file=sys.stderr)
        raise
    finally:
        _stop(server)
