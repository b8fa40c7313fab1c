"""Soak: the fault drills' mixed workload for minutes on the production stack.

    .venv/bin/python bench/soak/run.py [--minutes 10] [--capacity-seconds 20]
        [--fraction 0.5] [--warmup-minutes 1]

The stack and the workload are the fault drills' (tests/faults): embedded PostgreSQL
and Redis on ports of their own, moto S3, gunicorn, a Celery worker and beat started as
`make run` starts them. First a closed loop (3 editors autosaving as fast as answers
come, 1 uploader) measures what the machine serves right now: the baseline of this
run. Then editors are paced to `--fraction` of that autosave rate, with the uploader
pausing 2 s between photo posts: `--warmup-minutes` unmeasured, then `--minutes`.

Memory is read every 30 s. The warm-up lets each process reach its working set
(Pillow's buffers in the worker's children, gunicorn's threads) before the start is
read, so that growth measures what the load keeps adding, not first use.

Reported (and written to var/bench/soak.json): the offered and served rates; the RSS of
each process group (gunicorn, worker, beat; main and children summed) and of each
process at the start and at the end, its growth (target under 10 %) and its peak; p50
and p99 per endpoint per minute; the invariant checker's result after the load.
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
SAMPLE_SECONDS = 30


def rss_by_process(stack, name: str) -> dict[int, int]:
    """Resident memory (KiB) of each process of a group: its main process and every
    child."""
    sizes = {}
    for pid in stack.group_members({stack.processes[name].pid}):
        try:
            fields = Path(f"/proc/{pid}/statm").read_text().split()
        except OSError:
            continue
        sizes[pid] = int(fields[1]) * PAGE_KIB
    return sizes


def rss_sample(stack, names: tuple[str, ...]) -> dict[str, dict[int, int]]:
    return {name: rss_by_process(stack, name) for name in names}


def growth_percent(start: int, end: int) -> float:
    return round((end - start) / start * 100, 1)


def memory_report(samples: list[dict[str, dict[int, int]]]) -> dict:
    """Per group and per process: start, end, peak (KiB) and growth, from the samples
    taken after the warm-up (the first is the start)."""
    start, end = samples[0], samples[-1]
    report = {}
    for name in start:
        totals = [sum(sample[name].values()) for sample in samples]
        report[name] = {
            "start_kib": totals[0],
            "end_kib": totals[-1],
            "peak_kib": max(totals),
            "growth_percent": growth_percent(totals[0], totals[-1]),
            # A leak keeps growing; a step (a buffer that grew once) does not.
            "second_half_growth_percent": growth_percent(
                totals[len(totals) // 2], totals[-1]
            ),
            # A child replaced meanwhile (max memory per child) has no end: skipped.
            "processes": {
                pid: {
                    "start_kib": kib,
                    "end_kib": end[name][pid],
                    "growth_percent": growth_percent(kib, end[name][pid]),
                }
                for pid, kib in start[name].items()
                if pid in end[name]
            },
        }
    return report


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
    parser.add_argument("--warmup-minutes", type=float, default=1)
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
        samples = []
        warmup_seconds = arguments.warmup_minutes * 60
        loaded = time.monotonic()
        with Workload(
            stack.base_url, stack.token, autosavers=EDITORS, autosave_pause=pause,
            upload_pause=2.0,
        ) as load:  # fmt: skip
            time.sleep(warmup_seconds)
            started = time.monotonic()
            autosaves_before = load.record.answers[("drafts_autosave", 200)]
            samples.append(rss_sample(stack, names))
            while time.monotonic() - started < arguments.minutes * 60:
                time.sleep(SAMPLE_SECONDS)
                samples.append(rss_sample(stack, names))
                minute = (time.monotonic() - started) / 60
                print(f"  {minute:.1f} min", flush=True)
        record = load.stop()
        seconds = time.monotonic() - started
        findings = settle_and_check(stack, record, time.monotonic())

    autosaves = record.answers[("drafts_autosave", 200)] - autosaves_before
    served = autosaves / seconds
    memory = memory_report(samples)
    growth = {name: memory[name]["growth_percent"] for name in names}
    result = {
        "capacity_autosaves_per_second": round(capacity_rps, 1),
        "offered_autosaves_per_second": round(offered_rps, 1),
        "served_autosaves_per_second": round(served, 1),
        "photo_posts": len(record.assets),
        "warmup_seconds": round(started - loaded),
        "seconds": round(seconds),
        "rss": memory,
        "rss_growth_percent": growth,
        "rss_samples_kib": [
            {name: sum(sample[name].values()) for name in names} for sample in samples
        ],
        "latency_per_minute": per_minute(
            [answer for answer in record.answers_timed if answer[0] >= started],
            started,
        ),
        "answers": {f"{e} {s}": n for (e, s), n in sorted(record.answers.items())},
        "unexpected": record.unexpected,
        "invariants": findings.violations() or "all hold",
    }
    print(f"served {served:.1f} autosaves/s; photo posts: {len(record.assets)}")
    for name in names:
        group = memory[name]
        each = ", ".join(
            f"{pid}: {p['start_kib'] / 1024:.1f} -> {p['end_kib'] / 1024:.1f} "
            f"({p['growth_percent']:+.1f} %)"
            for pid, p in group["processes"].items()
        )
        print(
            f"RSS {name}: {group['start_kib'] / 1024:.1f} MiB -> "
            f"{group['end_kib'] / 1024:.1f} MiB ({growth[name]:+.1f} %, peak "
            f"{group['peak_kib'] / 1024:.1f}, second half "
            f"{group['second_half_growth_percent']:+.1f} %); per process {each}"
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
