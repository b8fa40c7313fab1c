"""poster started the way `make run` starts it: real processes, embedded defaults."""

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

REPO_DIR = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT_SECONDS = 120
# Variables CI sets for the test suite that would replace the embedded defaults.
SUITE_ONLY_VARIABLES = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "SECRET_KEY",
    "DEBUG",
    "STORAGE_BACKEND",
    "CONN_MAX_AGE",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningService:
    process: subprocess.Popen
    base_url: str
    output: list[str] = field(default_factory=list)
    token: str = ""
    environment: dict[str, str] = field(default_factory=dict)

    def api_user(self, username: str) -> str:
        """A user of this service of its own (its data apart from the demo user's),
        created as `manage.py create_api_user` does; returns its API token."""
        completed = subprocess.run(
            [sys.executable, "manage.py", "create_api_user", username],
            cwd=REPO_DIR,
            env=self.environment,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        return completed.stdout.strip()

    def wait_for_output(self, prefix: str, text: str) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not any(
            line.startswith(prefix) and text in line for line in list(self.output)
        ):
            assert time.monotonic() < deadline, f"no {text!r} from {prefix.strip()}"
            assert self.process.poll() is None, "run.py exited:\n" + "".join(
                self.output[-40:]
            )
            time.sleep(0.2)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


@contextlib.contextmanager
def running_service(var_dir: Path, **environment: str) -> Iterator[RunningService]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in SUITE_ONLY_VARIABLES}
    env.update(
        PORT=str(port),
        EVENTS_PORT=str(free_port()),
        POSTER_VAR_DIR=str(var_dir),
        **environment,
    )
    process = subprocess.Popen(
        [sys.executable, "scripts/run.py"],
        cwd=REPO_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    service = RunningService(
        process=process, base_url=f"http://127.0.0.1:{port}", environment=env
    )
    reader = threading.Thread(
        target=lambda: service.output.extend(process.stdout), daemon=True
    )
    reader.start()
    try:
        _wait_until_healthy(service)
        service.token = re.search(
            r"Authorization: Token (\w+)", "".join(service.output)
        ).group(1)
        service.wait_for_output("worker | ", " ready.")
        service.wait_for_output("beat   | ", "beat: Starting...")
        service.wait_for_output("events | ", "Uvicorn running on")
        yield service
    finally:
        if process.poll() is None:
            service.stop()
        reader.join(timeout=10)


def _wait_until_healthy(service: RunningService) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        assert service.process.poll() is None, "run.py exited:\n" + "".join(
            service.output
        )
        try:
            answer = requests.get(f"{service.base_url}/healthz", timeout=2)
            if answer.status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.5)
    raise AssertionError("service did not become healthy")


@pytest.fixture(scope="session")
def demo_service(tmp_path_factory) -> Iterator[RunningService]:
    """One service for the tests that only use its API (client, schemathesis)."""
    unlimited = "100000/min"
    with running_service(
        tmp_path_factory.mktemp("demo") / "var",
        THROTTLE_DEFAULT=unlimited,
        THROTTLE_AUTOSAVE=unlimited,
        THROTTLE_LEASES=unlimited,
        THROTTLE_PUBLISH=unlimited,
    ) as service:
        yield service
