import os
import subprocess
import sys
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[2]


def run_manage(*arguments: str, **environment: str) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRET_KEY", "DEBUG", "DATABASE_URL")
    }
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=REPO_DIR,
        env={**base, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_service_refuses_to_start_with_an_empty_secret_key():
    completed = run_manage("check", SECRET_KEY="")

    assert completed.returncode != 0
    assert "SECRET_KEY is not set" in completed.stderr


def test_a_shared_database_without_secret_key_is_refused_and_writes_no_key(tmp_path):
    completed = run_manage(
        "check",
        POSTER_VAR_DIR=str(tmp_path),
        DATABASE_URL="postgres://poster@127.0.0.1:5432/poster",
    )

    assert completed.returncode != 0
    assert "SECRET_KEY is not set" in completed.stderr
    assert not (tmp_path / "secret_key").exists()


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


def test_without_secret_key_every_command_shares_one_private_key_file(tmp_path):
    print_key = (
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY)",
    )

    first = run_manage(*print_key, POSTER_VAR_DIR=str(tmp_path))
    second = run_manage(*print_key, POSTER_VAR_DIR=str(tmp_path))

    key_file = tmp_path / "secret_key"
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == second.stdout.strip() == key_file.read_text()
    assert len(key_file.read_text()) >= 50
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert list(tmp_path.glob(".secret_key-*")) == []


def test_lost_media_settles_within_two_minutes_by_default(settings):
    # What the README states for a lost task (Redis lost its data, a worker died): the
    # sweep re-enqueues media untouched for MEDIA_STUCK_SECONDS, every interval.
    schedule = settings.CELERY_BEAT_SCHEDULE["media-sweep-stuck"]["schedule"]
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]

    assert (settings.MEDIA_STUCK_SECONDS, schedule) == (90, 15.0)
    assert settings.MEDIA_STUCK_SECONDS + schedule <= 110  # + a photo's seconds < 2 min
    # A claim older than MEDIA_STUCK_SECONDS is certainly dead: the worker kills a task
    # at its time limit, and the broker waits longer still before redelivering.
    assert settings.MEDIA_PROCESS_TIME_LIMIT < settings.MEDIA_STUCK_SECONDS < visibility
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
