import os
import subprocess
import sys
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[2]


def run_manage(*arguments: str, **environment: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=REPO_DIR,
        env={**base, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_service_refuses_to_start_without_secret_key_when_debug_is_off():
    completed = run_manage("check", DEBUG="false")

    assert completed.returncode != 0
    assert "SECRET_KEY is not set" in completed.stderr


def test_check_deploy_passes_with_production_like_variables():
    completed = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="k3y-" + "x7Qp9vL2mZ4rT8wB" * 4,
        ALLOWED_HOSTS="poster.example.com",
        SECURE_SSL_REDIRECT="true",
        SECURE_HSTS_SECONDS="31536000",
    )

    assert completed.returncode == 0, completed.stderr
