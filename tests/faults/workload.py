"""The mixed client load every drill runs: autosaves, uploads, waiting publishes.

Clients behave as a good client does under the published retry contract: a refused or
reset connection is retried, a 503 or 429 is retried after its Retry-After, a 412 on
autosave re-reads the draft and goes on. Every answer is counted per endpoint; every
autosave that got a 200 is remembered, so the invariant checker can prove it is stored.
"""

import hashlib
import itertools
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import requests

from examples.client import make_png

CLIENT_TIMEOUT_SECONDS = 15
RETRY_LIMIT = 40
_image_sizes = itertools.count()


@dataclass
class Record:
    """What the clients saw; shared by the client threads (guarded by `lock`)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    answers: Counter = field(default_factory=Counter)  # (endpoint, status) -> count
    retried_connections: int = 0
    unexpected: list[str] = field(default_factory=list)
    # draft id -> (version, title) of its last autosave answered 200
    accepted_edits: dict[str, tuple[int, str]] = field(default_factory=dict)
    assets: list[str] = field(default_factory=list)
    posts: list[str] = field(default_factory=list)
    # (started, endpoint, seconds, status) per answer; started is time.monotonic()
    answers_timed: list[tuple[float, str, float, int]] = field(default_factory=list)

    def status_counts(self, status: int) -> int:
        return sum(n for (_, s), n in self.answers.items() if s == status)


class Client:
    def __init__(self, base_url: str, token: str, record: Record) -> None:
        self.base_url = base_url
        self.record = record
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {token}"

    def call(
        self, endpoint: str, method: str, url: str, expected: tuple[int, ...], **kwargs
    ) -> requests.Response | None:
        """Send until an answer other than a retryable one comes; None if none did."""
        for _ in range(RETRY_LIMIT):
            started = time.monotonic()
            try:
                response = self.session.request(
                    method, url, timeout=CLIENT_TIMEOUT_SECONDS, **kwargs
                )
            except requests.ConnectionError:
                # gunicorn restarting or the listen queue reset: retry.
                with self.record.lock:
                    self.record.retried_connections += 1
                time.sleep(0.3)
                continue
            except requests.Timeout:
                with self.record.lock:
                    self.record.unexpected.append(f"{endpoint}: hung past the timeout")
                return None
            with self.record.lock:
                self.record.answers[(endpoint, response.status_code)] += 1
                self.record.answers_timed.append(
                    (
                        started,
                        endpoint,
                        time.monotonic() - started,
                        response.status_code,
                    )
                )
            if response.status_code in (429, 503):
                retry_after = response.headers.get("Retry-After")
                if retry_after is None or not response.json()["error"]["code"]:
                    with self.record.lock:
                        self.record.unexpected.append(
                            f"{endpoint}: {response.status_code} without Retry-After"
                        )
                    return None
                time.sleep(min(float(retry_after), 2.0))
                continue
            if response.status_code not in expected:
                with self.record.lock:
                    self.record.unexpected.append(
                        f"{endpoint}: {response.status_code} {response.text[:200]}"
                    )
                return None
            return response
        return None

    def api(self, path: str) -> str:
        return f"{self.base_url}/api/v1{path}"


def autosave_loop(
    client: Client, name: str, stop: threading.Event, pause: float = 0.0
) -> None:
    """Chain autosaves on one draft with If-Match, as an editor does; `pause` seconds
    between two (0: as fast as answers come)."""
    created = client.call(
        "drafts_create", "POST", client.api("/drafts/"), (201,),
        json={"kind": "text", "title": f"{name} 0", "community": "general"},
    )  # fmt: skip
    if created is None:
        return
    draft = created.json()
    version = draft["version"]
    next_at = time.monotonic()
    for number in itertools.count(1):
        # Paced on a schedule, not after each answer, so the offered rate holds.
        next_at += pause
        if stop.wait(max(0.0, next_at - time.monotonic())):
            return
        title = f"{name} {number}"
        response = client.call(
            "drafts_autosave", "PATCH", client.api(f"/drafts/{draft['id']}/"),
            (200, 412), json={"title": title}, headers={"If-Match": f'"{version}"'},
        )  # fmt: skip
        if response is None:
            time.sleep(0.5)
            current = client.call(
                "drafts_get", "GET", client.api(f"/drafts/{draft['id']}/"), (200,)
            )
            if current is not None:
                version = current.json()["version"]
            continue
        body = response.json()
        if response.status_code == 200:
            version = body["version"]
            with client.record.lock:
                client.record.accepted_edits[draft["id"]] = (version, title)
        else:  # a retried PATCH that had been applied: read the current version
            current = client.call(
                "drafts_get", "GET", client.api(f"/drafts/{draft['id']}/"), (200,)
            )
            if current is not None:
                version = current.json()["version"]


def upload_and_publish(client: Client, storage_session: requests.Session) -> None:
    """Lease, upload, complete, then publish at once: the post waits for the image."""
    created = client.call(
        "drafts_create", "POST", client.api("/drafts/"), (201,),
        json={"kind": "image", "title": "photo", "community": "general"},
    )  # fmt: skip
    if created is None:
        return
    draft = created.json()
    # 200-319 px wide: each image gets the same set of variants (w160, w320 and
    # jpeg1080), so a drill can count them.
    image = make_png(200 + next(_image_sizes) % 120, 60)
    lease = client.call(
        "media_lease", "POST", client.api("/media/"), (201,),
        json={
            "filename": "drill.png", "content_type": "image/png",
            "size_bytes": len(image), "sha256": hashlib.sha256(image).hexdigest(),
            "draft": draft["id"],
        },
    )  # fmt: skip
    if lease is None:
        return
    asset = lease.json()
    instruction = asset["upload"]
    for _ in range(RETRY_LIMIT):
        try:
            if instruction["method"] == "POST":
                stored = storage_session.post(
                    instruction["url"], data=instruction["fields"],
                    files={"file": ("drill.png", image)},
                    timeout=CLIENT_TIMEOUT_SECONDS,
                )  # fmt: skip
            else:
                stored = storage_session.put(
                    instruction["url"], data=image, headers=instruction["headers"],
                    timeout=CLIENT_TIMEOUT_SECONDS,
                )  # fmt: skip
            if stored.status_code in (200, 201, 204):
                break
        except requests.ConnectionError:
            pass  # storage is down: try again, as a browser would
        time.sleep(1)
    else:
        with client.record.lock:
            client.record.unexpected.append("upload: storage never took the file")
        return
    completed = client.call(
        "media_complete", "POST", client.api(f"/media/{asset['id']}/complete/"),
        (200, 202),
    )  # fmt: skip
    if completed is None:
        return
    with client.record.lock:
        client.record.assets.append(asset["id"])
    current = client.call(
        "drafts_get", "GET", client.api(f"/drafts/{draft['id']}/"), (200,)
    )
    if current is None:
        return
    published = client.call(
        "drafts_publish", "POST", client.api(f"/drafts/{draft['id']}/publish/"),
        (201, 202), json={},
        headers={"If-Match": f'"{current.json()["version"]}"'},
    )  # fmt: skip
    if published is not None:
        with client.record.lock:
            client.record.posts.append(published.json()["id"])


def uploader_loop(client: Client, stop: threading.Event, pause: float) -> None:
    storage_session = requests.Session()
    while not stop.is_set():
        upload_and_publish(client, storage_session)
        stop.wait(pause)


class Workload:
    """Run `autosavers` editors and `uploaders` photo posters until stop()."""

    def __init__(
        self, base_url: str, token: str, *, autosavers: int = 3, uploaders: int = 1,
        upload_pause: float = 1.0, autosave_pause: float = 0.0,
    ) -> None:  # fmt: skip
        self.record = Record()
        self.stop_event = threading.Event()
        self.threads = [
            threading.Thread(
                target=autosave_loop,
                args=(
                    Client(base_url, token, self.record),
                    f"editor-{n}",
                    self.stop_event,
                    autosave_pause,
                ),
            )
            for n in range(autosavers)
        ] + [
            threading.Thread(
                target=uploader_loop,
                args=(
                    Client(base_url, token, self.record),
                    self.stop_event,
                    upload_pause,
                ),
            )
            for _ in range(uploaders)
        ]

    def __enter__(self) -> "Workload":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def stop(self) -> Record:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout=120)
        return self.record
