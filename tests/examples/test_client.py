"""The newcomer's path: examples/client.py against the service `make run` starts."""

import json
import subprocess
import sys

from tests.service import REPO_DIR


def test_example_client_walks_the_whole_flow(demo_service):
    completed = subprocess.run(
        [
            sys.executable,
            "examples/client.py",
            "--base-url",
            demo_service.base_url,
            "--token",
            demo_service.token,
        ],
        cwd=REPO_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )

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
