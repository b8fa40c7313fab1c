"""`make run-stack`: make run's processes on embedded PostgreSQL and Redis."""

import contextlib
import os
import signal
import subprocess
import threading
import time

import psycopg
import requests

from tests.scripts.embedded import fresh_ports, is_listening, services
from tests.scripts.test_run import descendants, is_alive
from tests.service import REPO_DIR, SUITE_ONLY_VARIABLES, free_port

STARTUP_TIMEOUT_SECONDS = 180


def wait_until_ready(base_url: str, timeout: float) -> requests.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.ConnectionError, requests.Timeout):
            answer = requests.get(f"{base_url}/readyz", timeout=10)
            if answer.status_code == 200:
                return answer
        time.sleep(0.5)
    raise AssertionError(f"{base_url}/readyz did not answer 200 within {timeout} s")


def wait_for_output(output: list[str], text: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not any(text in line for line in list(output)):
        assert time.monotonic() < deadline, f"no {text!r} in:\n" + "".join(output)
        time.sleep(0.2)


def test_make_run_stack_serves_on_postgres_and_redis_then_stops_them():
    with fresh_ports(database="poster") as ports:
        web_port = free_port()
        base_url = f"http://127.0.0.1:{web_port}"
        environment = {
            k: v for k, v in os.environ.items() if k not in SUITE_ONLY_VARIABLES
        }
        environment.update(
            PORT=str(web_port),
            EVENTS_PORT=str(free_port()),  # PORT + 1 may be anyone's
            POSTER_VAR_DIR=str(ports.var_dir),
        )
        process = subprocess.Popen(
            [
                "make", "--no-print-directory", "run-stack",
                f"STACK_POSTGRES_PORT={ports.postgres}",
                f"STACK_REDIS_PORT={ports.redis}",
            ],
            cwd=REPO_DIR,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )  # fmt: skip
        output: list[str] = []
        reader = threading.Thread(target=lambda: output.extend(process.stdout))
        reader.start()
        try:
            ready = wait_until_ready(base_url, STARTUP_TIMEOUT_SECONDS)
            wait_for_output(output, "worker | ")
            wait_for_output(output, " ready.")
            with psycopg.connect(ports.database_url) as connection:
                migrations_applied = connection.execute(
                    "select count(*) from django_migrations"
                ).fetchone()[0]
            # The fault drill: each server down, then back, under the running stack.
            postgres_stop = services(ports, "stop", "postgres")
            without_postgres = requests.get(f"{base_url}/readyz", timeout=10)
            postgres_start = services(ports, "start", "postgres")
            wait_until_ready(base_url, 30)
            redis_stop = services(ports, "stop", "redis")
            without_redis = requests.get(f"{base_url}/readyz", timeout=10)
            redis_start = services(ports, "start", "redis")
            ready_again = wait_until_ready(base_url, 30)
            started = descendants(process.pid)
            server_pids = {ports.postgres_pid(), ports.redis_pid()}
        finally:
            # Ctrl-C in a terminal signals the whole foreground process group.
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)
            process.wait(timeout=120)
            reader.join(timeout=10)
    text = "".join(output)

    assert ready.json() == {"status": "ok"}
    assert f"PostgreSQL on 127.0.0.1:{ports.postgres}: embedded, PostgreSQL 18." in text
    assert f"Redis on 127.0.0.1:{ports.redis}: embedded, Redis 6.2." in text
    assert migrations_applied > 0  # poster's tables live in the embedded PostgreSQL
    assert (postgres_stop.returncode, postgres_start.returncode) == (0, 0)
    assert without_postgres.status_code == 503
    assert list(without_postgres.json()["failing"]) == ["database"]
    assert (redis_stop.returncode, redis_start.returncode) == (0, 0)
    assert without_redis.status_code == 503
    assert list(without_redis.json()["failing"]) == ["broker"]
    assert ready_again.json() == {"status": "ok"}
    assert "poster stopped" in text
    assert "worker: Warm shutdown" in text
    after_stop = text.split("poster stopped", 1)[1]
    assert f"127.0.0.1:{ports.postgres}: stopping embedded server" in after_stop
    assert f"127.0.0.1:{ports.redis}: stopping embedded server" in after_stop
    assert [pid for pid in started | server_pids if is_alive(pid)] == []
    assert (is_listening(ports.postgres), is_listening(ports.redis)) == (False, False)
    assert not is_listening(web_port)
