"""Fault drills: the production stack under a mixed load while one part of it fails.

Each drill runs on servers of its own (tests/faults/stack.py), never on the PostgreSQL
and Redis the rest of the suite shares, restores what it broke in a `finally`, and ends
with the invariant checker (tests/faults/invariants.py), whose report it prints.
"""

import time

from tests.faults.conftest import settle_and_check
from tests.faults.stack import drill_stack
from tests.faults.workload import Workload


def answers_after(record, moment: float, status: int) -> list[tuple]:
    return [a for a in record.answers_timed if a[0] > moment and a[3] == status]


def test_postgres_restart_answers_503_with_retry_after_and_keeps_every_accepted_edit():
    with drill_stack() as stack:
        with Workload(stack.base_url, stack.token) as load:
            time.sleep(4)
            try:
                stack.services("stop", "postgres")
                time.sleep(5)
            finally:
                stack.services("start", "postgres")
            back_at = time.monotonic()
            time.sleep(6)
        record = load.stop()
        findings = settle_and_check(stack, record, back_at)

    assert record.unexpected == []
    assert record.status_counts(500) == 0
    assert record.status_counts(503) > 0  # the outage was met, and answered 503
    # CONN_HEALTH_CHECKS: pooled connections that died with the server are replaced,
    # not handed to requests once it is back.
    assert answers_after(record, back_at + 1, 503) == []
    assert len(record.accepted_edits) == 3
    assert findings.violations() == []
