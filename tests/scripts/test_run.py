"""`make run` as a newcomer runs it: real processes, embedded defaults, a free port."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

REPO_DIR = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_SECONDS = 120
EMBEDDED_DEFAULTS_OVERRIDDEN_BY_CI = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "SECRET_KEY",
    "DEBUG",
    "STORAGE_BACKEND",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def descendants(pid: int) -> set[int]:
    children_of: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children_of.setdefault(parent, []).append(int(entry.name))
    found, pending = set(), [pid]
    while pending:
        for child in children_of.get(pending.pop(), []):
            found.add(child)
            pending.append(child)
    return found


def is_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until_healthy(base_url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, "run.py exited during start-up"
        try:
            if requests.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.5)
    raise AssertionError("service did not become healthy")


def wait_for_output(output: list[str], prefix: str, text: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not any(line.startswith(prefix) and text in line for line in list(output)):
        assert time.monotonic() < deadline, f"no {text!r} from {prefix.strip()}"
        time.sleep(0.2)


def test_make_run_serves_then_stops_every_process_on_sigterm(tmp_path):
    port = free_port()
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in EMBEDDED_DEFAULTS_OVERRIDDEN_BY_CI
    }
    environment.update(PORT=str(port), POSTER_VAR_DIR=str(tmp_path / "var"))
    process = subprocess.Popen(
        [sys.executable, "scripts/run.py"],
        cwd=REPO_DIR,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(process.stdout), daemon=True)
    reader.start()
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base_url, process)
        token = re.search(r"Authorization: Token (\w+)", "".join(output)).group(1)

        ready = requests.get(f"{base_url}/readyz", timeout=10)
        admin_login = requests.get(f"{base_url}/admin/login/", timeout=10)
        anonymous = requests.get(f"{base_url}/api/v1/me/", timeout=10)
        with_token = requests.get(
            f"{base_url}/api/v1/me/",
            headers={"Authorization": f"Token {token}"},
            timeout=10,
        )
        admin_css = requests.get(f"{base_url}/static/admin/css/base.css", timeout=10)
        wait_for_output(output, "worker | ", " ready.")
        wait_for_output(output, "beat   | ", "beat: Starting...")
        started = descendants(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        exit_code = process.wait(timeout=60)
    reader.join(timeout=10)
    text = "".join(output)

    assert ready.status_code == 200, ready.text
    assert admin_login.status_code == 200
    assert "Log in" in admin_login.text
    assert admin_css.status_code == 200
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "not_authenticated"
    assert with_token.json()["username"] == "demo"
    assert with_token.json()["is_staff"] is True
    for prefix in ("web    | ", "worker | ", "beat   | "):
        assert prefix in text, f"no output from {prefix.strip()}"
    assert len(started) >= 5, started  # 3 children, gunicorn and pool workers
    assert exit_code == 0
    assert "poster stopped" in text
    assert [pid for pid in started if is_alive(pid)] == []
