"""The events process as production runs it (uvicorn, config/asgi.py) on a free port,
and a server-sent-events client that records what it receives."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
import requests
from django.conf import settings

from tests.service import REPO_DIR, free_port

STARTUP_TIMEOUT_SECONDS = 60


def suite_database_url() -> str:
    """The URL of the database this test run uses (pytest-django's test_ copy)."""
    database = settings.DATABASES["default"]
    return (
        f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}"
        f"/{database['NAME']}"
    )


class EventsServer:
    def __init__(self, **environment: str) -> None:
        self.port = free_port()
        self.environment = environment
        self.process: subprocess.Popen | None = None
        self.output: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1/events/"

    def start(self) -> "EventsServer":
        env = {
            **os.environ,
            "DATABASE_URL": suite_database_url(),
            "EVENTS_REDIS_URL": settings.EVENTS_REDIS_URL,
            "PYTHONUNBUFFERED": "1",
            **self.environment,
        }
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "uvicorn", "config.asgi:application",
                "--host", "127.0.0.1", "--port", str(self.port),
                "--lifespan", "off", "--loop", "uvloop", "--http", "httptools",
                "--timeout-graceful-shutdown", "1",
            ],
            cwd=REPO_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )  # fmt: skip
        threading.Thread(
            target=lambda: self.output.extend(self.process.stdout), daemon=True
        ).start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while True:
            assert self.process.poll() is None, "".join(self.output)
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1),
            ):
                return self
            assert time.monotonic() < deadline, "".join(self.output)
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL, as a crash or an OOM kill would end it: no goodbye to clients."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


@dataclass
class SseClient:
    """Opens a stream and records its events and comment lines from a thread."""

    url: str
    token: str | None = None
    last_event_id: str | None = None
    last_event_id_in_query: bool = False
    cookies: dict | None = None
    events: list[dict] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)
    response: requests.Response | None = None
    is_closed: threading.Event = field(default_factory=threading.Event)

    def open(self) -> requests.Response:
        headers = {"Accept": "text/event-stream"}
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        params = {}
        if self.last_event_id is not None:
            if self.last_event_id_in_query:
                params["last_event_id"] = self.last_event_id
            else:
                headers["Last-Event-ID"] = self.last_event_id
        self.response = requests.get(
            self.url,
            headers=headers,
            params=params,
            cookies=self.cookies,
            stream=True,
            timeout=(5, 60),
        )
        if self.response.status_code == 200:
            threading.Thread(target=self._read, daemon=True).start()
        return self.response

    def _read(self) -> None:
        event: dict = {}
        try:
            for line in self.response.iter_lines(decode_unicode=True):
                if line == "":
                    if "data" in event:
                        event["data"] = json.loads(event["data"])
                        self.events.append(event)
                    event = {}
                elif line.startswith(":"):
                    self.comments.append(line[1:].strip())
                else:
                    name, _, value = line.partition(": ")
                    if name == "retry":
                        self.retry.append(int(value))
                    else:
                        event[name] = value
        except (requests.RequestException, AttributeError, ValueError):
            pass  # closed under the reader (AttributeError: urllib3 mid-close)
        finally:
            self.is_closed.set()

    def close(self) -> None:
        """Drop the connection, as a phone going through a tunnel does."""
        with contextlib.suppress(Exception):
            self.response.raw._fp.fp.raw._sock.shutdown(socket.SHUT_RDWR)
        self.response.close()
        assert self.is_closed.wait(10)

    def wait_for(
        self, condition: Callable[[list[dict]], bool], timeout_seconds: float = 30
    ) -> list[dict]:
        deadline = time.monotonic() + timeout_seconds
        while not condition(list(self.events)):
            assert time.monotonic() < deadline, f"not received; got {self.events}"
            time.sleep(0.02)
        return list(self.events)

    def last_id(self) -> str:
        return self.events[-1]["id"]


def of_type(events: list[dict], *types: str) -> list[tuple[str, str, str]]:
    """(event, object id, status) of the events of `types`, in order."""
    return [
        (event["event"], event["data"]["id"], event["data"]["status"])
        for event in events
        if event["event"] in types
    ]


@pytest.fixture
def events_server(transactional_db) -> Iterator[EventsServer]:
    server = EventsServer().start()
    yield server
    server.kill()


@contextlib.contextmanager
def sse_stream(url: str, token: str | None, **options) -> Iterator[SseClient]:
    client = SseClient(url=url, token=token, **options)
    response = client.open()
    assert response.status_code == 200, response.text
    # Streams start with retry:, written after the stream registered for events.
    deadline = time.monotonic() + 10
    while not client.retry:
        assert time.monotonic() < deadline, "the stream did not start"
        time.sleep(0.01)
    try:
        yield client
    finally:
        if not client.is_closed.is_set():
            client.close()
