"""Soak: the fault drills' mixed workload for minutes on the production stack.

    .venv/bin/python bench/soak/run.py [--minutes 10] [--capacity-seconds 20]
        [--fraction 0.5]

The stack and the workload are the fault drills' (tests/faults): embedded PostgreSQL
and Redis on ports of their own, moto S3, gunicorn, a Celery worker and beat started as
`make run` starts them. First a closed loop (3 editors autosaving as fast as answers
come, 1 uploader) measures what the machine serves right now: the baseline of this
run. Then editors are paced to `--fraction` of that autosave rate, with the uploader
pausing 2 s between photo posts, for `--minutes`.

Reported (and written to var/bench/soak.json): the offered and served rates; the RSS of
each process group (gunicorn, worker, beat; main and children summed) at the start and
at the end, and its growth (target under 10 %); p50 and p99 per endpoint per minute;
the invariant checker's result after the load.
"""

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.harness.report import RESULTS_DIR, percentile  # noqa: E402
from tests.faults.settle import settle_and_check  # noqa: E402
from tests.faults.stack import drill_stack  # noqa: E402
from tests.faults.workload import Workload  # noqa: E402

EDITORS = 3
PAGE_KIB = 4


def rss_kib(stack, name: str) -> int:
    """Resident memory of a process group: its main process and every child."""
    total = 0
    for pid in stack.group_members({stack.processes[name].pid}):
        try:
            fields = Path(f"/proc/{pid}/statm").read_text().split()
        except OSError:
            continue
        total += int(fields[1]) * PAGE_KIB
    return total


def per_minute(answers: list[tuple], started: float) -> dict:
    buckets: dict[tuple[int, str], list[float]] = defaultdict(list)
    for moment, endpoint, seconds, _status in answers:
        buckets[(int((moment - started) // 60), endpoint)].append(seconds)
    table: dict = defaultdict(dict)
    for (minute, endpoint), values in sorted(buckets.items()):
        table[minute][endpoint] = {
            "n": len(values),
            "p50_ms": round(percentile(values, 0.5) * 1000, 1),
            "p99_ms": round(percentile(values, 0.99) * 1000, 1),
        }
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--capacity-seconds", type=float, default=20)
    parser.add_argument("--fraction", type=float, default=0.5)
    arguments = parser.parse_args()

    with drill_stack() as stack:
        with Workload(stack.base_url, stack.token, autosavers=EDITORS) as probe:
            time.sleep(arguments.capacity_seconds)
        capacity = probe.record.answers[("drafts_autosave", 200)]
        capacity_rps = capacity / arguments.capacity_seconds
        offered_rps = capacity_rps * arguments.fraction
        pause = EDITORS / offered_rps
        print(
            f"capacity: {capacity_rps:.1f} autosaves/s (closed loop, {EDITORS} "
            f"editors); offering {offered_rps:.1f}/s ({arguments.fraction:.0%})",
            flush=True,
        )
        names = ("web", "worker", "beat")
        rss_start = {name: rss_kib(stack, name) for name in names}
        started = time.monotonic()
        with Workload(
            stack.base_url, stack.token, autosavers=EDITORS, autosave_pause=pause,
            upload_pause=2.0,
        ) as load:  # fmt: skip
            while time.monotonic() - started < arguments.minutes * 60:
                time.sleep(5)
                minute = (time.monotonic() - started) / 60
                print(f"  {minute:.1f} min", flush=True)
        record = load.stop()
        seconds = time.monotonic() - started
        rss_end = {name: rss_kib(stack, name) for name in names}
        findings = settle_and_check(stack, record, time.monotonic())

    served = record.answers[("drafts_autosave", 200)] / seconds
    growth = {
        name: round((rss_end[name] - rss_start[name]) / rss_start[name] * 100, 1)
        for name in names
    }
    result = {
        "capacity_autosaves_per_second": round(capacity_rps, 1),
        "offered_autosaves_per_second": round(offered_rps, 1),
        "served_autosaves_per_second": round(served, 1),
        "photo_posts": len(record.assets),
        "seconds": round(seconds),
        "rss_kib_start": rss_start,
        "rss_kib_end": rss_end,
        "rss_growth_percent": growth,
        "latency_per_minute": per_minute(record.answers_timed, started),
        "answers": {f"{e} {s}": n for (e, s), n in sorted(record.answers.items())},
        "unexpected": record.unexpected,
        "invariants": findings.violations() or "all hold",
    }
    print(f"served {served:.1f} autosaves/s; photo posts: {len(record.assets)}")
    for name in names:
        print(
            f"RSS {name}: {rss_start[name] / 1024:.1f} MiB -> "
            f"{rss_end[name] / 1024:.1f} MiB ({growth[name]:+.1f} %)"
        )
    for minute, endpoints in result["latency_per_minute"].items():
        cells = ", ".join(
            f"{endpoint} p50 {v['p50_ms']} / p99 {v['p99_ms']} ms (n={v['n']})"
            for endpoint, v in endpoints.items()
        )
        print(f"minute {minute}: {cells}")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "soak.json").write_text(json.dumps(result, indent=2))
    ok = not findings.violations() and not record.unexpected
    ok = ok and all(value < 10 for value in growth.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
