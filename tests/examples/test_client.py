"""The newcomer's path: examples/client.py against the service `make run` starts."""

import json
import subprocess
import sys

from tests.service import REPO_DIR, free_port


def run_client(service, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "examples/client.py",
            "--base-url",
            service.base_url,
            "--token",
            service.token,
            *extra,
        ],
        cwd=REPO_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_example_client_walks_the_whole_flow(demo_service):
    completed = run_client(demo_service)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    # It read /config/ (the embedded default MEDIA_MAX_BYTES) before uploading.
    assert "limits: 20971520 bytes, 50 uploads left" in completed.stderr
    post = json.loads(completed.stdout)
    assert (post["status"], post["title"], post["community"], post["kind"]) == (
        "published",
        "Hello from the example client",
        "general",
        "image",
    )
    (media,) = post["media"]
    assert (media["status"], media["width"], media["height"]) == ("ready", 320, 200)
    assert {v["name"] for v in media["variants"]} == {
        "w160",
        "w320",
        "jpeg1080",
    }
    # Embedded default (SQLite, filesystem broker, no Redis): the waits were
    # answered by the events process's stream, not by polling.
    assert "media.status " + media["id"] + ": ready (stream)" in completed.stderr
    assert f"post.status {post['id']}: published (stream)" in completed.stderr
    assert "(polled)" not in completed.stderr


def test_example_client_polls_when_the_stream_is_unavailable(demo_service):
    closed_port = free_port()

    completed = run_client(
        demo_service,
        "--events-url",
        f"http://127.0.0.1:{closed_port}/api/v1/events/",
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    post = json.loads(completed.stdout)
    assert post["status"] == "published"
    assert "event stream unavailable; polling" in completed.stderr
    assert f"post.status {post['id']}: published (polled)" in completed.stderr
