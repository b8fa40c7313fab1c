"""Wait until a drill's media and posts settle, then run the invariant checker."""

import time

from tests.faults.invariants import Findings, check
from tests.faults.stack import SETTLE_BOUND_SECONDS, Stack


def settle_and_check(
    stack: Stack, record, since: float, *, bound: float = SETTLE_BOUND_SECONDS
) -> Findings:
    """Wait until media and posts settle (at most the bound after `since`), then check.

    `since` is the time.monotonic() of the last fault; the checker runs either way and
    reports what is still unsettled.
    """
    deadline = since + bound
    while time.monotonic() < deadline:
        unsettled = (
            stack.sql(
                "select count(*) from media_uploads_mediaasset "
                "where status in ('uploaded', 'processing')"
            )[0][0]
            + stack.sql(
                "select count(*) from poster_post where status = 'pending_media'"
            )[0][0]
        )
        if unsettled == 0:
            break
        time.sleep(0.5)
    findings = check(stack.sql, stack.stored_objects(), record.accepted_edits)
    answers = ", ".join(
        f"{endpoint} {status}: {count}"
        for (endpoint, status), count in sorted(record.answers.items())
    )
    print(f"answers: {answers}; retried connections: {record.retried_connections}")
    print(findings.report())
    return findings
