"""Walk poster's whole flow as a client does, with nothing but `requests`.

    python examples/client.py --base-url http://127.0.0.1:8000 --token TOKEN

Reads the server's limits (/config/) and the community's rules and flairs, creates
a draft (with a flair when the community requires one), autosaves it twice, leases an
image it makes itself within the limits, uploads it by following the lease's
instructions (the same code works for S3 and for poster's local storage), completes
the upload, checks the draft against the community's rules and publishes at once: the
post waits for its image. Then it waits on the live event stream (`events_url` from
GET /api/v1/me/) for the image's `ready` and the post's `published`, and prints the
post as JSON. When the stream cannot be opened (or drops for good) it polls instead,
as the API's `Retry-After` suggests. Progress goes to stderr.
"""

import argparse
import contextlib
import hashlib
import json
import queue
import struct
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator

import requests

READY_TIMEOUT_SECONDS = 120
# The server sends a heartbeat every 15 s: a read silent for longer is a dead stream.
STREAM_READ_TIMEOUT_SECONDS = 45
STREAM_MAX_RECONNECTS = 5


def make_png(width: int = 320, height: int = 200) -> bytes:
    """A gradient PNG, built by hand so the client needs no imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(
        b"\x00"
        + b"".join(
            bytes((x * 255 // width, y * 255 // height, 160)) for x in range(width)
        )
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


class Client:
    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {token}"

    def call(self, method: str, path: str, expected: tuple[int, ...], **kwargs):
        response = self.session.request(
            method, f"{self.base_url}/api/v1{path}", timeout=30, **kwargs
        )
        if response.status_code not in expected:
            sys.exit(f"{method} {path} -> {response.status_code}: {response.text}")
        return response


def upload(instruction: dict, data: bytes) -> None:
    """Follow a lease's instruction: a multipart POST (file last) or a PUT."""
    if instruction["method"] == "POST":
        response = requests.post(
            instruction["url"],
            data=instruction["fields"],
            files={"file": ("image.png", data)},
            timeout=60,
        )
    else:
        response = requests.put(
            instruction["url"], data=data, headers=instruction["headers"], timeout=60
        )
    if response.status_code not in (200, 201, 204):
        sys.exit(f"upload -> {response.status_code}: {response.text}")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def sse_events(lines: Iterator[str]) -> Iterator[dict]:
    """Parse server-sent events: {"id", "event", "data"} per blank-line-ended block."""
    event: dict = {}
    data: list[str] = []
    for line in lines:
        if line == "":
            if data:
                yield {**event, "data": json.loads("\n".join(data))}
            event, data = {}, []
        elif line.startswith(":"):
            continue  # a heartbeat
        else:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "data":
                data.append(value)
            elif name in ("id", "event", "retry"):
                event[name] = value


class EventStream:
    """The live stream, read in a thread; reconnects with Last-Event-ID, so an event
    sent while the connection was down still arrives, once."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.headers = {
            "Authorization": f"Token {token}",
            "Accept": "text/event-stream",
        }
        self.events: queue.Queue = queue.Queue()
        self.last_event_id: str | None = None
        self.retry_seconds = 1.0
        self.opened = threading.Event()
        self.is_unavailable = threading.Event()

    def start(self) -> bool:
        """Open the stream; False when it cannot be (then poll)."""
        threading.Thread(target=self._run, daemon=True).start()
        while not (self.opened.wait(0.1) or self.is_unavailable.is_set()):
            pass
        return self.opened.is_set()

    def _run(self) -> None:
        failures = 0
        while failures <= STREAM_MAX_RECONNECTS:
            headers = dict(self.headers)
            if self.last_event_id is not None:
                headers["Last-Event-ID"] = self.last_event_id
            try:
                with requests.get(
                    self.url,
                    headers=headers,
                    stream=True,
                    timeout=(5, STREAM_READ_TIMEOUT_SECONDS),
                ) as response:
                    if response.status_code != 200:
                        log(f"event stream: {response.status_code} {response.text}")
                        break
                    self.opened.set()
                    failures = 0
                    for event in sse_events(response.iter_lines(decode_unicode=True)):
                        if "retry" in event:
                            self.retry_seconds = int(event["retry"]) / 1000
                        if "id" in event:
                            self.last_event_id = event["id"]
                        self.events.put(event)
            except requests.RequestException as error:
                log(f"event stream: {type(error).__name__}")
            if not self.opened.is_set():
                break
            failures += 1
            time.sleep(self.retry_seconds)
        self.is_unavailable.set()

    def wait_for(self, matches: Callable[[dict], bool], timeout: float) -> dict | None:
        """The first event that `matches`; None if the stream gave out or time ran
        out (then poll)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.is_unavailable.is_set() and self.events.empty():
                return None
            with contextlib.suppress(queue.Empty):
                event = self.events.get(timeout=0.5)
                if event.get("event") == "stream.reset":
                    return None  # events were missed: refetch (poll) instead
                if matches(event):
                    return event
        return None


def poll_until(client: Client, path: str, settled: Callable[[dict], bool]) -> dict:
    """GET `path` until `settled` holds, pacing by the answer's Retry-After."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while True:
        answer = client.call("GET", path, (200,))
        if settled(answer.json()):
            return answer.json()
        if time.monotonic() > deadline:
            sys.exit(f"{path} did not settle: {answer.json()}")
        time.sleep(float(answer.headers.get("Retry-After", "1")) / 4)


def wait_for_status(
    client: Client,
    stream: EventStream | None,
    *,
    event_type: str,
    object_id: str,
    path: str,
    final: tuple[str, ...],
) -> dict:
    """Wait for `object_id` to reach one of `final`: on the stream, else by polling."""
    if stream is not None:
        event = stream.wait_for(
            lambda e: (
                e.get("event") == event_type
                and e["data"]["id"] == object_id
                and e["data"]["status"] in final
            ),
            READY_TIMEOUT_SECONDS,
        )
        if event is not None:
            log(f"{event_type} {object_id}: {event['data']['status']} (stream)")
            return client.call("GET", path, (200,)).json()
        log("event stream unavailable; polling")
    resource = poll_until(client, path, lambda r: r["status"] in final)
    log(f"{event_type} {object_id}: {resource['status']} (polled)")
    return resource


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--community", default="general")
    parser.add_argument(
        "--events-url", help="Override the events_url GET /api/v1/me/ gives."
    )
    arguments = parser.parse_args()
    client = Client(arguments.base_url, arguments.token)
    me = client.call("GET", "/me/", (200,)).json()
    # Open the stream first: every change after this point arrives on it.
    stream: EventStream | None = EventStream(
        arguments.events_url or me["events_url"], arguments.token
    )
    if not stream.start():
        log("event stream unavailable; polling")
        stream = None

    limits = client.call("GET", "/config/", (200,)).json()
    community = client.call(
        "GET", f"/communities/{arguments.community}/", (200,)
    ).json()
    if community["guidelines_text"]:
        print(f"guidelines: {community['guidelines_text']}", file=sys.stderr)
    fields = {"kind": "image", "title": "Hello from", "community": community["name"]}
    if any(rule["rule"] == "flair_required" for rule in community["rules"]):
        fields["flair"] = next(
            f["id"] for f in community["flairs"] if not f["is_mod_only"]
        )
    draft = client.call("POST", "/drafts/", (201,), json=fields).json()
    version = draft["version"]
    for title in ("Hello from the", "Hello from the example client"):
        draft = client.call(
            "PATCH",
            f"/drafts/{draft['id']}/",
            (200,),
            json={"title": title},
            headers={"If-Match": f'"{version}"'},
        ).json()
        version = draft["version"]

    image = make_png()
    media_limits = limits["media"]
    if (
        "image/png" not in media_limits["supported_mime_types"]
        or len(image) > media_limits["max_bytes"]
    ):
        sys.exit(f"the server takes no {len(image)}-byte PNG: {media_limits}")
    print(
        f"limits: {media_limits['max_bytes']} bytes, "
        f"{media_limits['pending_uploads_left']} uploads left",
        file=sys.stderr,
    )
    lease = client.call(
        "POST",
        "/media/",
        (201,),
        json={
            "filename": "gradient.png",
            "content_type": "image/png",
            "size_bytes": len(image),
            "sha256": hashlib.sha256(image).hexdigest(),
            "draft": draft["id"],
        },
    ).json()
    upload(lease["upload"], image)
    client.call("POST", f"/media/{lease['id']}/complete/", (200, 202))

    # Publish at once: the post waits for its image and publishes itself.
    draft = client.call("GET", f"/drafts/{draft['id']}/", (200,)).json()
    check = client.call("POST", f"/drafts/{draft['id']}/check/", (200,)).json()
    for violation in check["violations"]:
        print(f"{violation['severity']}: {violation['message']}", file=sys.stderr)
    if check["is_blocked"]:
        sys.exit("the community's rules block this post")
    post = client.call(
        "POST",
        f"/drafts/{draft['id']}/publish/",
        (201, 202),
        json={},
        headers={"If-Match": f'"{draft["version"]}"'},
    ).json()
    log(f"post {post['id']}: {post['status']}")
    media = wait_for_status(
        client,
        stream,
        event_type="media.status",
        object_id=lease["id"],
        path=f"/media/{lease['id']}/",
        final=("ready", "failed"),
    )
    if media["status"] != "ready":
        sys.exit(f"media ended {media['status']}: {media}")
    post = wait_for_status(
        client,
        stream,
        event_type="post.status",
        object_id=post["id"],
        path=f"/posts/{post['id']}/",
        final=("published", "failed"),
    )
    print(json.dumps(post, indent=2))


if __name__ == "__main__":
    main()
