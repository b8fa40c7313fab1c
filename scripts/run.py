"""Start poster the way `make run` does: prepare, then supervise its processes.

Preparation: migrate, collect static files, ensure a demo staff user with an API token,
and print how to reach the service. Then gunicorn, one Celery worker, Celery beat and
the events process (uvicorn) run as child processes, each in its own process group,
with their output prefixed and interleaved on this terminal. SIGINT or SIGTERM stops
every group it started; if one child dies, the rest are stopped too and this script
exits non-zero.

With --stack (`make run-stack`) the same processes run on PostgreSQL and Redis, the
production wiring: scripts/services.sh starts them first (embedded ones, on the ports
STACK_POSTGRES_PORT and STACK_REDIS_PORT, default 5499 and 6399, with their data under
var/services/) and stops them when this script exits.
"""

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("POSTER_VAR_DIR") or REPO_DIR / "var")
BIN_DIR = Path(sys.executable).parent
SERVICES_SCRIPT = REPO_DIR / "scripts" / "services.sh"
STOP_GRACE_SECONDS = 10
DEMO_USERNAME = "demo"
DEMO_COMMUNITY = "general"


def read_or_create_secret(path: Path, length: int) -> str:
    if not path.exists():
        path.write_text(secrets.token_urlsafe(length))
        path.chmod(0o600)
    return path.read_text().strip()


def prepare_environment() -> dict[str, str]:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    environment = dict(os.environ)
    environment["POSTER_VAR_DIR"] = str(VAR_DIR)
    environment.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    environment.setdefault("PYTHONUNBUFFERED", "1")
    # make run serves plain HTTP on loopback: cookies marked Secure would never come
    # back, and the admin login would fail. Behind TLS, leave this at its default.
    environment.setdefault("SECURE_COOKIES", "false")
    # Without SECRET_KEY, settings read var/secret_key (creating it), as manage.py does.
    # The events process listens next to gunicorn; GET /api/v1/me/ tells clients where.
    environment.setdefault("EVENTS_PORT", str(int(environment.get("PORT", "8000")) + 1))
    environment.setdefault(
        "EVENTS_URL",
        f"http://127.0.0.1:{environment['EVENTS_PORT']}/api/v1/events/",
    )
    return environment


def manage(environment: dict[str, str], *arguments: str) -> str:
    completed = subprocess.run(
        [sys.executable, str(REPO_DIR / "manage.py"), *arguments],
        cwd=REPO_DIR,
        env=environment,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return completed.stdout.strip()


def child_commands(environment: dict[str, str]) -> dict[str, list[str]]:
    port = environment.get("PORT", "8000")
    host = environment.get("BIND_HOST", "127.0.0.1")
    return {
        "web": [
            str(BIN_DIR / "gunicorn"),
            "config.wsgi:application",
            "--bind", f"{host}:{port}",
            "--workers", environment.get("WEB_CONCURRENCY", "2"),
            # Threads overlap database and storage waits; gthread made steady under
            # load (config/gunicorn_worker.py). The benchmarks measured this.
            "--worker-class", "config.gunicorn_worker.SteadyThreadWorker",
            "--threads", environment.get("WEB_THREADS", "4"),
            "--graceful-timeout", "5",
        ],
        "worker": [
            str(BIN_DIR / "celery"), "-A", "config", "worker",
            "--loglevel", "INFO",
            "--concurrency", environment.get("CELERY_CONCURRENCY", "2"),
            "--queues", environment.get("CELERY_QUEUES", "celery,media"),
            "--hostname", "worker@%h",
        ],
        "beat": [
            str(BIN_DIR / "celery"), "-A", "config", "beat",
            "--loglevel", "INFO",
        ],
        # Live event streams (GET /api/v1/events/): an asynchronous process, so an
        # open stream holds no gunicorn thread (config/asgi.py).
        "events": [
            str(BIN_DIR / "uvicorn"), "config.asgi:application",
            "--host", host,
            "--port", environment.get("EVENTS_PORT", str(int(port) + 1)),
            "--lifespan", "off",
            "--loop", "uvloop",
            "--http", "httptools",
            "--no-access-log",
            "--timeout-graceful-shutdown", "3",
        ],
    }  # fmt: skip


def forward_output(name: str, process: subprocess.Popen, lock: threading.Lock) -> None:
    prefix = f"{name:<6} | "
    for line in process.stdout:
        with lock:
            sys.stdout.write(prefix + line)
            sys.stdout.flush()


def stop_all(processes: dict[str, subprocess.Popen]) -> None:
    # SIGTERM to each main process only: gunicorn's master and Celery's main stop
    # their own children after finishing in-flight work. Signalling the whole group
    # would kill pool children mid-task and leave the main waiting for them.
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for process in processes.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
    # Whatever is left, including grandchildren such as pool workers, is killed.
    for process in processes.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def stack_environment(environment: dict[str, str]) -> dict[str, str]:
    """What scripts/services.sh needs to serve the stack's PostgreSQL and Redis."""
    postgres_port = environment.get("STACK_POSTGRES_PORT", "5499")
    redis_port = environment.get("STACK_REDIS_PORT", "6399")
    return {
        **environment,
        "TEST_DATABASE_URL": f"postgres://postgres@127.0.0.1:{postgres_port}/poster",
        "TEST_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
    }


def stack_services(services_environment: dict[str, str], action: str) -> int:
    command = [str(SERVICES_SCRIPT), action]
    return subprocess.run(command, env=services_environment).returncode


def main() -> int:
    environment = prepare_environment()
    if "--stack" not in sys.argv[1:]:
        return serve(environment)
    # Until serve() takes over SIGTERM, let it end start-up through the finally below.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    services_environment = stack_environment(environment)
    try:
        if stack_services(services_environment, "start") != 0:
            return 1
        redis_url = services_environment["TEST_REDIS_URL"]
        # One machine, like the embedded default: it keeps its key in var/, which
        # settings only do by themselves when no DATABASE_URL names a shared database.
        environment.setdefault(
            "SECRET_KEY", read_or_create_secret(VAR_DIR / "secret_key", 50)
        )
        environment.update(
            DATABASE_URL=services_environment["TEST_DATABASE_URL"],
            CELERY_BROKER_URL=redis_url,
            CACHE_URL=redis_url.rsplit("/", 1)[0] + "/1",
        )
        return serve(environment)
    finally:
        stack_services(services_environment, "stop")


def serve(environment: dict[str, str]) -> int:
    manage(environment, "migrate", "--noinput", "-v", "0")
    manage(environment, "collectstatic", "--noinput", "-v", "0")
    demo_password = read_or_create_secret(VAR_DIR / "demo_password", 12)
    token = manage(
        environment, "create_api_user", DEMO_USERNAME, "--superuser",
        # One argument: a random password may begin with "-".
        f"--password={demo_password}",
    )  # fmt: skip
    manage(environment, "create_community", DEMO_COMMUNITY, "--title", "General")
    base_url = f"http://127.0.0.1:{environment.get('PORT', '8000')}"
    print(
        f"poster is starting at {base_url}\n"
        f"  Compose: {base_url}/compose/  (sign in as {DEMO_USERNAME}, password "
        f"{demo_password})\n"
        f"  API:    {base_url}/api/v1/   (Authorization: Token {token})\n"
        f"  Admin:  {base_url}/admin/    (user {DEMO_USERNAME}, "
        f"password {demo_password})\n"
        f"  Docs:   {base_url}/api/docs/  (community '{DEMO_COMMUNITY}' is ready)\n"
        f"  Events: {environment['EVENTS_URL']}  (live stream, same token)\n"
        "  Stop with Ctrl-C.",
        flush=True,
    )

    stop_requested = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        stop_requested.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    lock = threading.Lock()
    processes: dict[str, subprocess.Popen] = {}
    for name, command in child_commands(environment).items():
        processes[name] = subprocess.Popen(
            command,
            cwd=REPO_DIR,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(
            target=forward_output, args=(name, processes[name], lock), daemon=True
        ).start()

    exit_code = 0
    while not stop_requested.wait(0.5):
        exited = [name for name, p in processes.items() if p.poll() is not None]
        if exited:
            print(f"{', '.join(exited)} exited; stopping the rest", flush=True)
            exit_code = 1
            break
    stop_all(processes)
    print("poster stopped", flush=True)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
