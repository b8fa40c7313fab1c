"""scripts/services.sh: system servers when they are there, embedded ones otherwise."""

import os
import re
import signal
import socket
import subprocess

import psycopg
import pytest
import redis

from tests.scripts.embedded import (
    SCRIPT,
    ServicePorts,
    fresh_ports,
    is_listening,
    remove_var_dir,
    services,
)
from tests.scripts.test_run import descendants, is_alive
from tests.service import free_port


def run_services(**urls: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SCRIPT)],
        env={**os.environ, **urls},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def ports():
    with fresh_ports() as ports:
        yield ports


def postgres_version(ports) -> str:
    with psycopg.connect(ports.database_url) as connection:
        return connection.execute("select version()").fetchone()[0]


def test_reports_the_suites_own_servers_up():
    database_url = os.environ["DATABASE_URL"]
    redis_url = os.environ["CELERY_BROKER_URL"]

    result = run_services(TEST_DATABASE_URL=database_url, TEST_REDIS_URL=redis_url)

    assert result.returncode == 0, result.stderr
    assert "are up" in result.stdout
    assert re.search(
        r"PostgreSQL on \S+: (system|embedded), PostgreSQL \d+\.\d+", result.stdout
    ), result.stdout
    assert re.search(
        r"Redis on \S+: (system|embedded), Redis \d+\.\d+\.\d+", result.stdout
    ), result.stdout
    assert "(already running)" in result.stdout


def test_a_remote_server_that_does_not_answer_is_named_not_started():
    # Port 9 on loopback's neighbour: nothing listens, and it is not "local".
    result = run_services(
        TEST_DATABASE_URL=os.environ.get("DATABASE_URL", ""),
        TEST_REDIS_URL="redis://127.0.0.2:9/0",
    )

    assert result.returncode == 1
    assert "Redis is not answering on 127.0.0.2:9" in result.stderr
    assert "starting" not in result.stdout


def test_embedded_servers_start_on_free_ports_and_stop_leaves_nothing(ports):
    started = services(ports, "start")
    version = postgres_version(ports)
    pinged = redis.Redis(port=ports.redis).ping()
    server_pids = {ports.postgres_pid(), ports.redis_pid()}
    server_pids |= descendants(ports.postgres_pid())  # checkpointer, walwriter, ...

    stopped = services(ports, "stop")

    assert started.returncode == 0, started.stdout + started.stderr
    assert f"PostgreSQL on 127.0.0.1:{ports.postgres}: embedded, PostgreSQL 18." in (
        started.stdout
    )
    assert f"Redis on 127.0.0.1:{ports.redis}: embedded, Redis 6.2." in started.stdout
    assert version.startswith("PostgreSQL 18.")
    assert pinged is True
    assert len(server_pids) >= 3
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert [pid for pid in server_pids if is_alive(pid)] == []
    assert (is_listening(ports.postgres), is_listening(ports.redis)) == (False, False)


def test_restart_keeps_postgres_data_and_loses_redis_data(ports):
    assert services(ports, "start").returncode == 0
    with psycopg.connect(ports.database_url, autocommit=True) as connection:
        connection.execute("create table kept (value text)")
        connection.execute("insert into kept values ('still here')")
    redis.Redis(port=ports.redis).set("lost", "yes")
    postgres_before, redis_before = ports.postgres_pid(), ports.redis_pid()

    postgres_restart = services(ports, "restart", "postgres", "--down-seconds", "1")
    redis_restart = services(ports, "restart", "redis", "--down-seconds", "1")

    assert postgres_restart.returncode == 0, postgres_restart.stderr
    assert redis_restart.returncode == 0, redis_restart.stderr
    assert "stopping embedded server" in postgres_restart.stdout
    assert (is_alive(postgres_before), is_alive(redis_before)) == (False, False)
    assert ports.postgres_pid() != postgres_before
    assert ports.redis_pid() != redis_before
    with psycopg.connect(ports.database_url) as connection:
        assert connection.execute("select value from kept").fetchall() == [
            ("still here",)
        ]
    assert redis.Redis(port=ports.redis).get("lost") is None


def test_run_stops_the_embedded_servers_when_the_command_fails(ports):
    result = services(ports, "run", "sh", "-c", "exit 3")

    assert result.returncode == 3
    assert "embedded, PostgreSQL 18." in result.stdout
    assert "stopping embedded server" in result.stdout
    assert (is_listening(ports.postgres), is_listening(ports.redis)) == (False, False)


def test_run_stops_the_embedded_servers_on_ctrl_c(ports):
    # Ctrl-C in a terminal signals the whole foreground process group.
    process = subprocess.Popen(
        [str(SCRIPT), "run", "sleep", "300"],
        env=ports.environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output = []
    for line in process.stdout:
        output.append(line)
        if "are up" in line:
            break
    server_pids = {ports.postgres_pid(), ports.redis_pid()}

    os.killpg(process.pid, signal.SIGINT)
    output.extend(process.stdout)
    exit_code = process.wait(timeout=120)

    assert "are up" in "".join(output)
    assert exit_code == 130
    assert [pid for pid in server_pids if is_alive(pid)] == []
    assert (is_listening(ports.postgres), is_listening(ports.redis)) == (False, False)


def test_a_port_taken_by_something_else_is_named_and_nothing_starts(ports):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", ports.redis))
        squatter.listen()

        result = services(ports, "start", "redis")

    assert result.returncode == 1
    assert f"port {ports.redis} on 127.0.0.1 is taken" in result.stderr
    assert "starting" not in result.stdout
    assert not (ports.var_dir / "services" / f"redis-{ports.redis}").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs PostgreSQL as nobody")
def test_as_root_a_private_checkout_keeps_postgres_files_where_nobody_can_enter(
    tmp_path,
):
    private_var = tmp_path / "var"  # pytest's tmp_path is private to root
    ports = ServicePorts(
        postgres=free_port(), redis=free_port(), var_dir=private_var, database="x"
    )
    link = private_var / "services" / f"postgres-{ports.postgres}"
    try:
        started = services(ports, "start", "postgres")
        version = postgres_version(ports)
        owner = (link / "data").resolve().owner()
    finally:
        stopped = services(ports, "stop", "postgres")
        target = link.resolve()
        remove_var_dir(private_var)

    assert started.returncode == 0, started.stdout + started.stderr
    assert "nobody cannot enter" in started.stdout
    assert target.parent.name.startswith("poster-services-")
    assert not target.is_relative_to(tmp_path)
    assert version.startswith("PostgreSQL 18.")
    assert owner == "nobody"
    assert stopped.returncode == 0
    assert not is_listening(ports.postgres)
