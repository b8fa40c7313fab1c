"""What the draft.saved outbox insert costs autosave, measured in one process.

    .venv/bin/python bench/events/outbox_cost.py [--statements 500] [--rounds 7]

Recreates the PostgreSQL database `poster_bench_outbox`, creates a user and a draft,
and then, in alternating rounds, runs the autosave statement as poster sends it (the
conditional UPDATE with the outbox INSERT in the same WITH) and the same UPDATE
alone (the statement before the outbox), each `--statements` times, timing the wall
clock and this process's CPU per statement (both build the same parameters and map
the returned row to a Draft, as the service does). Prints each round, the median and
spread (min-max) of both, and their ratio. PostgreSQL's own CPU is not in these figures;
the HTTP benchmark (bench/autosave/run.py) counts it.
"""

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from bench.harness.server import database_recreate, database_url  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--statements", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--database", default="poster_bench_outbox")
    parser.add_argument(
        "--admin-url", default="postgres://postgres@127.0.0.1:5432/postgres"
    )
    arguments = parser.parse_args()
    environment = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(arguments.admin_url, arguments.database),
        "CONN_MAX_AGE": "600",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "EVENTS_REDIS_URL": "",  # the statement alone, not the wake-up
        "POSTER_VAR_DIR": str(REPO_ROOT / "var" / "bench" / "outbox"),
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(environment)
    database_recreate(arguments.admin_url, arguments.database)
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"],
            cwd=REPO_ROOT,
            check=True,
        )
        measure(arguments)
    finally:
        from django.db import connections

        connections.close_all()
        database_recreate(arguments.admin_url, arguments.database, create=False)


def measure(arguments: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from core.accounts import api_user_ensure
    from drafts.models import Draft
    from drafts.services import draft_create, statements

    owner = api_user_ensure(username="bench-outbox").user
    draft = draft_create(owner=owner, changes={"title": "start"})
    version = 1

    def with_outbox(count: int) -> None:
        nonlocal version
        for index in range(count):
            saved = statements.draft_update_if_current(
                draft_id=draft.id,
                owner=owner,
                base_version=version,
                changes={"title": f"t{index}"},
                now=timezone.now(),
            )
            version = saved.version

    plain_sql = statements._autosave_sql("plain", ("title",))  # no outbox

    title_field = Draft._meta.get_field("title")

    def update_alone(count: int) -> None:
        """draft_update_if_current as it was before the outbox: same parameters,
        same row mapping, the UPDATE alone."""
        nonlocal version
        for index in range(count):
            moment = timezone.now()
            now = statements._datetime_param(moment)
            due = statements._datetime_param(moment - timedelta(seconds=60))
            params = [
                title_field.get_db_prep_save(f"t{index}", connection),
                now, due, due, now,
                Draft._meta.pk.get_db_prep_value(draft.id, connection),
                owner.pk,
                version,
            ]  # fmt: skip
            saved = statements._draft_update(plain_sql, params)
            version = saved.version

    results = {"with outbox": [], "update alone": []}
    for round_number in range(arguments.rounds + 1):
        for name, run in (("update alone", update_alone), ("with outbox", with_outbox)):
            wall, cpu = time.perf_counter(), time.process_time()
            run(arguments.statements)
            wall = (time.perf_counter() - wall) / arguments.statements * 1e6
            cpu = (time.process_time() - cpu) / arguments.statements * 1e6
            if round_number:  # round 0 warms up (prepared statements, caches)
                results[name].append((wall, cpu))
                print(f"round {round_number} {name:12}: {wall:7.0f} us wall, "
                      f"{cpu:6.0f} us CPU per statement")  # fmt: skip
    for name, samples in results.items():
        walls = [wall for wall, _ in samples]
        cpus = [cpu for _, cpu in samples]
        print(
            f"{name:12}: median {statistics.median(walls):.0f} us wall "
            f"({min(walls):.0f}-{max(walls):.0f}), "
            f"{statistics.median(cpus):.0f} us CPU ({min(cpus):.0f}-{max(cpus):.0f})"
        )
    ratios = [
        alone[0] / outbox[0]
        for alone, outbox in zip(
            results["update alone"], results["with outbox"], strict=True
        )
    ]
    print(
        f"update alone / with outbox, wall, per round: "
        f"{statistics.median(ratios):.2f}x median "
        f"({min(ratios):.2f}-{max(ratios):.2f}); the machine is shared and noisy"
    )


if __name__ == "__main__":
    main()
