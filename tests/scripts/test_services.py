"""scripts/services.sh checks the servers the suite is pointed at."""

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "services.sh"


def run_services(**urls: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SCRIPT)],
        env={**os.environ, **urls},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_reports_the_suites_own_servers_up():
    database_url = os.environ["DATABASE_URL"]
    redis_url = os.environ["CELERY_BROKER_URL"]

    result = run_services(TEST_DATABASE_URL=database_url, TEST_REDIS_URL=redis_url)

    assert result.returncode == 0, result.stderr
    assert "are up" in result.stdout


def test_a_remote_server_that_does_not_answer_is_named_not_started():
    # Port 9 on loopback's neighbour: nothing listens, and it is not "local".
    result = run_services(
        TEST_DATABASE_URL=os.environ.get("DATABASE_URL", ""),
        TEST_REDIS_URL="redis://127.0.0.2:9/0",
    )

    assert result.returncode == 1
    assert "Redis is not answering on 127.0.0.2:9" in result.stderr
    assert "starting" not in result.stdout
