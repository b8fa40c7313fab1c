"""poster's production stack, private to one fault drill.

Embedded PostgreSQL and Redis on ports of their own (scripts/services.sh, never the
system servers the rest of the suite shares), S3 over HTTP (moto's server, which can be
stopped and started again on the same port with its objects kept), and gunicorn, one
Celery worker and Celery beat started with the commands `make run` uses
(scripts/run.py). Each process runs in its own process group, so a drill can SIGTERM or
SIGKILL one of them and start it again. Everything is stopped on the way out, also when
the drill fails.
"""

import contextlib
import importlib.util
import logging
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import boto3
import psycopg
import requests
from moto.server import ThreadedMotoServer

from tests.scripts.embedded import ServicePorts, fresh_ports, services
from tests.service import REPO_DIR, SUITE_ONLY_VARIABLES, free_port

STARTUP_TIMEOUT_SECONDS = 120
S3_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
# The drills compress the sweep's timings so that each ends in tens of seconds; the
# bound they check is the same formula as in production (README, Fault drills).
DRILL_TIMINGS = {
    "MEDIA_STUCK_SECONDS": "20",
    "MEDIA_SWEEP_INTERVAL_SECONDS": "2",
    "MEDIA_PROCESS_SOFT_TIME_LIMIT": "15",
    "MEDIA_PROCESS_TIME_LIMIT": "18",
    "MEDIA_RETRY_BASE_SECONDS": "1",
    "CELERY_VISIBILITY_TIMEOUT": "25",
    "CELERY_UNACKED_RESTORE_INTERVAL": "2",
    "CELERY_UNACKED_RESTORE_THROTTLE": "1",
}
# An asset whose task was lost settles within this many seconds (drill timings): the
# stuck period, one sweep interval, and a processing run with its retries.
SETTLE_BOUND_SECONDS = 20 + 2 + 30


def _load_run_module():
    spec = importlib.util.spec_from_file_location(
        "poster_run", REPO_DIR / "scripts/run.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


run_script = _load_run_module()


class S3Server:
    """moto's S3 on a fixed port: stop() takes it off the network, start() returns it
    with its objects (moto keeps them in this process)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.server: ThreadedMotoServer | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.server = ThreadedMotoServer(
            ip_address="127.0.0.1", port=self.port, verbose=False
        )
        self.server.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=S3_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=S3_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )


@dataclass
class Stack:
    ports: ServicePorts
    s3: S3Server
    bucket: str
    environment: dict[str, str]
    base_url: str = ""
    token: str = ""
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    output: list[str] = field(default_factory=list)
    started_pids: set[int] = field(default_factory=set)

    # --- processes ---------------------------------------------------------------

    def start(self, name: str) -> subprocess.Popen:
        command = run_script.child_commands(self.environment)[name]
        process = subprocess.Popen(
            command,
            cwd=REPO_DIR,
            env=self.environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.processes[name] = process
        self.started_pids.add(process.pid)
        threading.Thread(
            target=lambda: self.output.extend(
                f"{name} | {line}" for line in process.stdout
            ),
            daemon=True,
        ).start()
        return process

    def wait_for_output(self, text: str, *, after: int = 0) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not any(text in line for line in list(self.output)[after:]):
            assert time.monotonic() < deadline, f"no {text!r} in:\n" + "".join(
                self.output[-60:]
            )
            time.sleep(0.2)

    def start_web(self) -> None:
        self.start("web")
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.ConnectionError, requests.Timeout):
                if (
                    requests.get(f"{self.base_url}/readyz", timeout=5).status_code
                    == 200
                ):
                    return
            time.sleep(0.3)
        raise AssertionError(
            "gunicorn did not answer /readyz:\n" + "".join(self.output[-40:])
        )

    def start_worker(self) -> None:
        mark = len(self.output)
        self.start("worker")
        self.wait_for_output(" ready.", after=mark)

    def stop(self, name: str, *, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Signal the main process (or, for SIGKILL, its whole group) and reap it."""
        process = self.processes[name]
        if sig == signal.SIGKILL:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        else:
            process.send_signal(sig)
        return process.wait(timeout=timeout)

    def group_members(self, process_groups: set[int] | None = None) -> list[int]:
        """Live processes in these process groups (default: all this stack started)."""
        process_groups = self.started_pids if process_groups is None else process_groups
        members = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            state, process_group = stat[0], int(stat[2])
            if process_group in process_groups and state != "Z":
                members.append(int(entry))
        return members

    def left_behind(self, process_group: int, *, timeout: float = 10) -> list[int]:
        """Processes of a stopped group still alive after `timeout` (SIGKILL is
        delivered asynchronously, so give the kernel a moment)."""
        deadline = time.monotonic() + timeout
        while (alive := self.group_members({process_group})) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.2)
        return alive

    def stored_objects(self) -> dict[str, datetime]:
        """Every stored object's key and modification time, on either backend."""
        if self.environment["STORAGE_BACKEND"] == "local":
            return local_objects(Path(self.environment["LOCAL_STORAGE_ROOT"]))
        return s3_objects(self.s3.client(), self.bucket)

    # --- backing services -----------------------------------------------------------

    def services(self, *arguments: str) -> subprocess.CompletedProcess:
        completed = services(self.ports, *arguments)
        assert completed.returncode == 0, completed.stdout + completed.stderr
        return completed

    def sql(self, query: str, *parameters) -> list[tuple]:
        with psycopg.connect(self.ports.database_url, connect_timeout=10) as connection:
            return connection.execute(query, parameters).fetchall()


def s3_objects(s3_client, bucket: str) -> dict[str, datetime]:
    objects = {}
    for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            objects[item["Key"]] = item["LastModified"]
    return objects


def local_objects(root: Path) -> dict[str, datetime]:
    """Objects of the local backend: files under root, not its .tmp/ and .meta/."""
    objects = {}
    for path in root.rglob("*"):
        key = path.relative_to(root).as_posix()
        if path.is_file() and not key.startswith("."):
            objects[key] = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return objects


def _prepare(environment: dict[str, str]) -> str:
    run_script.manage(environment, "migrate", "--noinput", "-v", "0")
    if environment["STORAGE_BACKEND"] == "s3":
        run_script.manage(environment, "configure_bucket")
    token = run_script.manage(
        environment, "create_api_user", "drill", "--password=drill-password-1"
    )
    run_script.manage(environment, "create_community", "general", "--title", "General")
    return token


@contextlib.contextmanager
def drill_stack(*, workers: bool = True, **overrides: str) -> Iterator[Stack]:
    with fresh_ports(database="poster") as ports:
        s3 = S3Server()
        s3.start()
        # moto keeps buckets per process, so each drill gets a bucket of its own.
        bucket = f"poster-drill-{uuid.uuid4().hex[:12]}"
        web_port = free_port()
        environment = {
            k: v for k, v in os.environ.items() if k not in SUITE_ONLY_VARIABLES
        }
        environment.update(
            POSTER_VAR_DIR=str(ports.var_dir),
            DJANGO_SETTINGS_MODULE="config.settings",
            PYTHONUNBUFFERED="1",
            SECURE_COOKIES="false",
            DEBUG="false",
            SECRET_KEY="drill-only-secret-key-not-for-production-0123456789",
            PORT=str(web_port),
            DATABASE_URL=ports.database_url,
            CELERY_BROKER_URL=ports.redis_url,
            CACHE_URL=ports.redis_url.rsplit("/", 1)[0] + "/1",
            STORAGE_BACKEND="s3",
            S3_ENDPOINT_URL=s3.endpoint,
            S3_BUCKET=bucket,
            **S3_CREDENTIALS,
            THROTTLE_DEFAULT="100000/min",
            THROTTLE_AUTOSAVE="100000/min",
            THROTTLE_LEASES="100000/min",
            THROTTLE_PUBLISH="100000/min",
            MEDIA_MAX_PENDING="1000",
            **DRILL_TIMINGS,
        )
        environment.update(overrides)
        stack = Stack(ports=ports, s3=s3, bucket=bucket, environment=environment)
        stack.base_url = f"http://127.0.0.1:{web_port}"
        try:
            stack.services("start")
            stack.token = _prepare(environment)
            stack.start_web()
            if workers:
                stack.start_worker()
                stack.start("beat")
            yield stack
        finally:
            for process in stack.processes.values():
                if process.poll() is None:
                    process.terminate()
            for process in stack.processes.values():
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=15)
            for pid in stack.started_pids:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
            s3.stop()
