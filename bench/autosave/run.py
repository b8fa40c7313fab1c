"""Benchmark draft autosave against a plain Django UPDATE, in one gunicorn, one run.

    .venv/bin/python bench/autosave/run.py [--seconds 15] [--clients 32]

Recreates the PostgreSQL database `poster_bench`, migrates it, creates an API user and
its drafts, and starts gunicorn on a free loopback port with poster's settings and
URLs plus the baseline view (bench_settings.py, bench_urls.py, baseline.py). One
asyncio process (loadgen.py says what each phase does) then drives, back to back and
against that one server, the baseline, autosave, paced, merge and conflict phases,
each `--warmup` seconds unrecorded and `--seconds` recorded, with `--clients`
keep-alive clients. All but the paced phase are closed loops with no think time: the
server is saturated, so p50 is about clients / throughput. The paced phase offers
fixed rates instead, one after another, to show the latency at each load.
`--profile N` skips the load and profiles N requests of each kind in-process instead
(profile_request.py).

Prints requests/s, p50 and p99 per phase and outcome, lost writes, the CPU gunicorn
and PostgreSQL spent per request (steadier than requests/s when something else runs
on the machine), the autosave/baseline throughput ratio and the p99 against the
targets (>= 0.75x, <= 50 ms), and writes it all to var/bench/autosave.json. gunicorn
(make run's gthread worker, 2 workers x 4 threads by default: one process per core,
threads to overlap database round trips, keep-alive) is stopped and the database
dropped on every exit.
"""

import argparse
import asyncio
import contextlib
import functools
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
from psycopg import sql

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))  # run as a script: make `bench.autosave` importable

from bench.autosave import loadgen, report  # noqa: E402

BIN_DIR = Path(sys.executable).parent
RESULTS_PATH = REPO_ROOT / "var" / "bench" / "autosave.json"
PHASES = loadgen.PHASES
STOP_GRACE_SECONDS = 10
# The shared cache production uses; it holds the request limits' counters.
CACHE_URL = "redis://127.0.0.1:6379/13"
UNLIMITED_RATE = "100000/s"
AUTOSAVE_TABLES = ("drafts_draft", "drafts_draftrevision")


def add_server_arguments(parser: argparse.ArgumentParser, *, database: str) -> None:
    """The gunicorn, profiling and database options every HTTP benchmark shares."""
    parser.add_argument(
        "--worker-class",
        default="config.gunicorn_worker.SteadyThreadWorker",
        help="make run's: gthread, steady under load (config/gunicorn_worker.py)",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--profile",
        type=int,
        metavar="N",
        help="instead of the load phases, cProfile N in-process requests of each kind",
    )
    parser.add_argument("--database", default=database)
    parser.add_argument(
        "--admin-url",
        default="postgres://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL database to create and drop the benchmark database from",
    )


def positive_rates(text: str) -> list[float]:
    """`--paced-rps`: comma-separated requests/s, each above zero."""
    try:
        rates = [float(rate) for rate in text.split(",")]
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text}") from error
    if not all(rate > 0 for rate in rates):
        raise argparse.ArgumentTypeError(f"every rate must be above zero: {text}")
    return rates


def server_description(arguments: argparse.Namespace) -> dict:
    """How gunicorn and the load were set up, for the report and the results file."""
    return {
        "worker_class": arguments.worker_class,
        "workers": arguments.workers,
        "threads": arguments.threads,
        "clients": arguments.clients,
        "rounds": arguments.rounds,
        "warmup": arguments.warmup,
        "seconds": arguments.seconds,
        "cpu_count": os.cpu_count(),
    }


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15, help="recorded, per phase")
    parser.add_argument("--warmup", type=float, default=3, help="unrecorded, per phase")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="baseline and autosave alternate in this many slices of --seconds",
    )
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help=f"comma-separated, run in this order (default: {','.join(PHASES)})",
    )
    parser.add_argument(
        "--paced-rps",
        type=positive_rates,
        help="comma-separated total rates for the paced phase, one run each "
        "(default: 0.25x, 0.5x and 0.75x the baseline's req/s)",
    )
    add_server_arguments(parser, database="poster_bench")
    arguments = parser.parse_args()
    if arguments.clients < 2 or arguments.clients % 2:
        parser.error("--clients must be even: merge and conflict use pairs")
    arguments.phases = arguments.phases.split(",")
    if unknown := set(arguments.phases) - set(PHASES):
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")
    return arguments


def database_url(admin_url: str, name: str) -> str:
    return admin_url.rsplit("/", 1)[0] + "/" + name


def database_recreate(admin_url: str, name: str, *, create: bool = True) -> None:
    with psycopg.connect(admin_url, autocommit=True) as connection:
        identifier = sql.Identifier(name)
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(identifier)
        )
        if create:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(identifier))


def database_vacuum(url: str, tables: tuple[str, ...] = AUTOSAVE_TABLES) -> None:
    """Start each phase on vacuumed tables: the local server runs no autovacuum."""
    with psycopg.connect(url, autocommit=True) as connection:
        # Table names are this module's constants, never input.
        connection.execute(f"VACUUM ANALYZE {', '.join(tables)}")


def server_environment(url: str, var_dir: str) -> dict[str, str]:
    python_path = os.pathsep.join(
        filter(None, [str(REPO_ROOT), os.getenv("PYTHONPATH")])
    )
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.autosave.bench_settings",
        "PYTHONPATH": python_path,
        "DATABASE_URL": url,
        "CONN_MAX_AGE": "600",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/14",
        # The shared cache production uses; it holds the request limits' counters.
        "CACHE_URL": CACHE_URL,
        # Limits far above the load, so nothing is refused (one user sends it all),
        # while every request still pays for its counters, as in production.
        **{
            f"THROTTLE_{scope}": UNLIMITED_RATE
            for scope in ("DEFAULT", "AUTOSAVE", "LEASES", "PUBLISH")
        },
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "127.0.0.1",
        "POSTER_VAR_DIR": var_dir,
    }


def manage(environment: dict[str, str], *arguments: str) -> str:
    completed = subprocess.run(
        [sys.executable, str(REPO_ROOT / "manage.py"), *arguments],
        cwd=REPO_ROOT,
        env=environment,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
        timeout=300,
    )
    return completed.stdout.strip()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gunicorn_command(arguments: argparse.Namespace, port: int) -> list[str]:
    return [
        str(BIN_DIR / "gunicorn"),
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


def gunicorn_wait_ready(server: subprocess.Popen, port: int) -> None:
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


def gunicorn_stop(server: subprocess.Popen) -> None:
    """Stop gunicorn's whole process group: the arbiter and its workers."""
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def profile(environment: dict[str, str], *, token: str, requests: int) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.autosave.profile_request",
            f"--token={token}",
            f"--requests={requests}",
            "--top=90",
        ],
        cwd=REPO_ROOT,
        env=environment,
        check=True,
        timeout=600,
    )


@contextlib.contextmanager
def gunicorn_serving(
    arguments: argparse.Namespace, environment: dict[str, str], *, log_path: Path
) -> Iterator[tuple[subprocess.Popen, int]]:
    """gunicorn on a free port, ready; its log's tail on failure; stopped on exit.

    Yields the server process and its port.
    """
    port = free_port()
    with log_path.open("w") as log:
        server = subprocess.Popen(
            gunicorn_command(arguments, port),
            cwd=REPO_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        gunicorn_wait_ready(server, port)
        yield server, port
    except BaseException:
        print(f"gunicorn's log:\n{log_path.read_text()[-3000:]}", file=sys.stderr)
        raise
    finally:
        gunicorn_stop(server)


def serve_and_drive(
    arguments: argparse.Namespace,
    environment: dict[str, str],
    *,
    token: str,
    log_path: Path,
) -> dict:
    """Start gunicorn, run the phases against it, and stop it whatever happens."""
    serving = gunicorn_serving(arguments, environment, log_path=log_path)
    with serving as (server, port):
        return asyncio.run(
            loadgen.drive(
                port=port,
                token=token,
                server_pid=server.pid,
                database=arguments.database,
                client_count=arguments.clients,
                phases=arguments.phases,
                rounds=arguments.rounds,
                warmup=arguments.warmup,
                seconds=arguments.seconds,
                paced_rates=arguments.paced_rps,
                before_phase=functools.partial(
                    database_vacuum, environment["DATABASE_URL"]
                ),
            )
        )


def main() -> int:
    arguments = parse_arguments()
    database_recreate(arguments.admin_url, arguments.database)
    try:
        with tempfile.TemporaryDirectory(prefix="poster-bench-") as var_dir:
            url = database_url(arguments.admin_url, arguments.database)
            environment = server_environment(url, var_dir)
            manage(environment, "migrate", "--noinput", "--verbosity=0")
            token = manage(environment, "create_api_user", "bench")
            if arguments.profile:
                profile(environment, token=token, requests=arguments.profile)
                return 0
            results = serve_and_drive(
                arguments,
                environment,
                token=token,
                log_path=Path(var_dir) / "gunicorn.log",
            )
    finally:
        database_recreate(arguments.admin_url, arguments.database, create=False)
    server_config = server_description(arguments)
    summary = report.verdict(results)
    report.report(results, summary, server_config)
    RESULTS_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_PATH.write_text(
        json.dumps({"server": server_config, **summary, "phases": results}, indent=2)
    )
    print(f"results: {RESULTS_PATH.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
