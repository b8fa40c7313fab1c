"""README.md's commands, run as written in a fresh checkout on the embedded defaults.

Each test copies the checkout's files (tracked or not ignored: no var/, no .venv) into
a temporary folder, so uncommitted edits are tested too, links `.venv` to the
virtualenv running the suite, and runs the README's command there with none of the
suite's variables (SECRET_KEY, DATABASE_URL, ...), as a newcomer's shell would.
Commands are read from README.md, so a README edit that breaks one fails here; only
placeholders (NAME, PW, an endpoint, `...` credentials) are replaced. Not run here:
the curl examples (the API tests and examples/client.py walk those endpoints),
examples/client.py (tests/examples), `make run`'s start and stop
(tests/scripts/test_run.py), and the benchmarks.
"""

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import requests

from tests.service import free_port

REPO_DIR = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_SECONDS = 120


def readme_commands(readme: Path) -> list[str]:
    """Commands in README.md: each line of its sh blocks and each inline command."""
    text = readme.read_text()
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            command = re.sub(r"(^|\s+)#.*$", "", line).strip()
            if command:
                commands.append(" ".join(command.split()))
    prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    commands += re.findall(r"`((?:\.venv/bin/python )?manage\.py [^`]+)`", prose)
    return commands


def readme_command(checkout: Path, containing: str) -> str:
    (command,) = {c for c in readme_commands(checkout / "README.md") if containing in c}
    return command


def readme_block(checkout: Path, containing: str) -> list[str]:
    """The sh block of README.md that shows `containing`, one command a line."""
    blocks = re.findall(
        r"```sh\n(.*?)```", (checkout / "README.md").read_text(), flags=re.DOTALL
    )
    (block,) = [b for b in blocks if containing in b]
    return [line for line in block.replace("\\\n", " ").splitlines() if line.strip()]


def fresh_environment(**variables: str) -> dict[str, str]:
    """A newcomer's shell: none of the suite's variables, so the embedded defaults."""
    kept = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    return {**kept, **variables}


def run(command: str, checkout: Path, **variables: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        shlex.split(command),
        cwd=checkout,
        env=fresh_environment(**variables),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def checkout(tmp_path) -> Path:
    """This checkout's files as a fresh clone has them, sharing the suite's .venv."""
    venv = Path(sys.prefix)
    if not (venv / ".runtime-installed").exists():
        # make would then build a virtualenv through the link, into the suite's own.
        pytest.fail(f"{venv} was not made by `make venv`; make run would rebuild it")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_DIR,
        capture_output=True,
        check=True,
    ).stdout
    target = tmp_path / "poster"
    for name in filter(None, listed.decode().split("\0")):
        source = REPO_DIR / name
        if source.is_file():  # a deleted file is still listed until committed
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            # copy2 keeps modification times: make sees the shared .venv up to date.
            shutil.copy2(source, target / name)
    (target / ".venv").symlink_to(venv)
    return target


@pytest.fixture
def make_run(checkout) -> Iterator[str]:
    """`make run` in the checkout until it serves; its base URL. Ctrl-C stops it."""
    port = free_port()
    process = subprocess.Popen(
        shlex.split(readme_command(checkout, "make run")),
        cwd=checkout,
        # The events process's port too: PORT + 1 may be anyone's.
        env=fresh_environment(PORT=str(port), EVENTS_PORT=str(free_port())),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(process.stdout))
    reader.start()
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not is_healthy(base_url):
            assert process.poll() is None, "make run exited:\n" + "".join(output)
            assert time.monotonic() < deadline, "no answer:\n" + "".join(output)
            time.sleep(0.5)
        yield base_url
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        reader.join(timeout=10)


def is_healthy(base_url: str) -> bool:
    try:
        return requests.get(f"{base_url}/healthz", timeout=2).status_code == 200
    except (requests.ConnectionError, requests.Timeout):
        return False


def admin_login(base_url: str, username: str, password: str) -> requests.Response:
    session = requests.Session()
    login_url = f"{base_url}/admin/login/"
    session.get(login_url, timeout=10)
    return session.post(
        login_url,
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
            "next": "/admin/",
        },
        headers={"Referer": login_url},
        timeout=10,
    )


def me(base_url: str, token: str) -> dict:
    answer = requests.get(
        f"{base_url}/api/v1/me/",
        headers={"Authorization": f"Token {token.strip()}"},
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()


def test_create_api_user_while_make_run_serves_prints_tokens_that_work(
    checkout, make_run
):
    usage = readme_command(checkout, "manage.py create_api_user")
    plain = re.sub(r"\s*\[[^]]*\]", "", usage).replace("NAME", "alice")
    every_option = re.sub(r"\[([^]]*)\]", r"\1", usage)
    every_option = every_option.replace("NAME", "bob").replace("PW", "pw-for-bob-123")

    alice = run(plain, checkout)
    bob = run(every_option, checkout)

    assert alice.returncode == 0, alice.stderr
    assert bob.returncode == 0, bob.stderr
    assert re.fullmatch(r"[0-9a-f]{40}\n", alice.stdout)
    alice_me, bob_me = me(make_run, alice.stdout), me(make_run, bob.stdout)
    assert (alice_me["username"], alice_me["is_staff"]) == ("alice", False)
    assert (bob_me["username"], bob_me["is_staff"]) == ("bob", True)
    bob_in_admin = admin_login(make_run, "bob", "pw-for-bob-123")
    assert bob_in_admin.url == f"{make_run}/admin/"
    assert "Site administration" in bob_in_admin.text
    assert (checkout / "var" / "secret_key").stat().st_mode & 0o777 == 0o600


def test_check_deploy_passes_in_a_fresh_checkout_with_the_production_settings(
    checkout,
):
    command = readme_command(checkout, "manage.py check --deploy")

    # The README's production list: ALLOWED_HOSTS, SECURE_SSL_REDIRECT=true and
    # SECURE_HSTS_SECONDS; the key is the one the checkout makes for itself.
    completed = run(
        command,
        checkout,
        ALLOWED_HOSTS="poster.example.com",
        SECURE_SSL_REDIRECT="true",
        SECURE_HSTS_SECONDS="31536000",
    )

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == "System check identified no issues (0 silenced).\n"
    assert (checkout / "var" / "secret_key").exists()


def test_s3_setup_block_configures_the_bucket_as_written(checkout, moto_endpoint):
    block = readme_block(checkout, "manage.py configure_bucket")
    assert block[-1] == "make run"  # needs the PostgreSQL and Redis named above
    script = "\n".join(block[:-1])
    script = script.replace("https://s3.example.com", moto_endpoint)
    script = script.replace("AWS_ACCESS_KEY_ID=...", "AWS_ACCESS_KEY_ID=test")
    script = script.replace("AWS_SECRET_ACCESS_KEY=...", "AWS_SECRET_ACCESS_KEY=test")

    completed = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=checkout,
        env=fresh_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert completed.returncode == 0, completed.stderr
    assert "uploads/ is private" in completed.stdout
    s3 = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    cors = s3.get_bucket_cors(Bucket="poster-media")["CORSRules"]
    assert cors[0]["AllowedOrigins"] == ["*"]  # MEDIA_UPLOAD_ORIGINS' default
