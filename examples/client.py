"""Walk poster's whole flow as a client does, with nothing but `requests`.

    python examples/client.py --base-url http://127.0.0.1:8000 --token TOKEN

Reads the server's limits (/config/) and the community's rules and flairs, creates
a draft (with a flair when the community requires one), autosaves it twice, leases an
image it makes itself within the limits, uploads it by following the lease's
instructions (the same code works for S3 and for poster's local storage), completes
the upload, waits until the image is ready, checks the draft against the community's
rules, publishes, and prints the post as JSON (notes go to stderr).
"""

import argparse
import hashlib
import json
import struct
import sys
import time
import zlib

import requests

READY_TIMEOUT_SECONDS = 120


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--community", default="general")
    arguments = parser.parse_args()
    client = Client(arguments.base_url, arguments.token)

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

    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while True:
        media = client.call("GET", f"/media/{lease['id']}/", (200,))
        status = media.json()["status"]
        if status == "ready":
            break
        if status == "failed" or time.monotonic() > deadline:
            sys.exit(f"media ended {status}: {media.json()}")
        time.sleep(float(media.headers.get("Retry-After", "1")) / 4)

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
    print(json.dumps(post, indent=2))


if __name__ == "__main__":
    main()
