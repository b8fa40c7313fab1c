"""From latencies to figures: percentiles, ratios to a baseline, the table, the file.
Every ratio compares two phases of one run, which shared the machine's mood."""

import json
import operator
from collections import Counter
from pathlib import Path

ROLES = ("gunicorn", "postgres")
RESULTS_DIR = Path(__file__).resolve().parents[2] / "var" / "bench"


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, round(fraction * len(ordered) + 0.5))) - 1]


def summarize(latencies: list[float], seconds: float) -> dict:
    if not latencies:
        return {"requests": 0, "rps": 0.0, "p50_ms": None, "p99_ms": None}
    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / seconds, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
    }


def combine(slices: list) -> dict:
    """A phase's figures over its slices (loadgen.Recorder): latencies pooled, CPU
    seconds summed over the recorded windows' wall time."""
    seconds, cpu = sum(part.seconds for part in slices), Counter()
    by_outcome: dict[str, list[float]] = {}
    for part in slices:
        cpu.update(part.cpu)
        for outcome, values in part.latencies.items():
            by_outcome.setdefault(outcome, []).extend(values)
    every = [value for values in by_outcome.values() for value in values]
    return {
        "all": summarize(every, seconds),
        "by_outcome": {
            outcome: summarize(values, seconds)
            for outcome, values in sorted(by_outcome.items())
        },
        "round_rps": [
            round(sum(map(len, part.latencies.values())) / part.seconds, 1)
            for part in slices
        ],
        "lost_writes": sum(part.lost_writes for part in slices),
        **{
            f"{role}_cpu_cores": round(cpu[role] / cpu["wall"], 2)
            for role in ("loadgen", *ROLES)
        },
        "machine_busy_pct": round(100 * cpu["busy"] / max(1.0, cpu["total"]), 1),
    }


def cpu_ms_per_request(phase: dict) -> dict[str, float]:
    """CPU milliseconds gunicorn and PostgreSQL spent per request served."""
    rps = phase["all"]["rps"] or float("inf")  # none served: 0.0
    return {role: 1000 * phase[f"{role}_cpu_cores"] / rps for role in ROLES}


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    return round(numerator / denominator, 3) if numerator and denominator else None


def judge(name: str, phase: dict, baseline: dict, *, target: str = "") -> dict:
    """`phase` over `baseline`: throughput (overall and per round), CPU cost and p99
    ratios, printed on one line, and whether `target` ("throughput >= 0.75",
    "p99 <= 1.25": the ratio's bound) is met."""
    costs = [sum(cpu_ms_per_request(each).values()) for each in (baseline, phase)]
    rounds = zip(phase["round_rps"], baseline["round_rps"], strict=True)
    p99s = phase["all"]["p99_ms"], baseline["all"]["p99_ms"]
    figures = {
        "throughput_ratio": _ratio(phase["all"]["rps"], baseline["all"]["rps"]),
        "round_ratios": [_ratio(ours, theirs) for ours, theirs in rounds],
        "cpu_cost_ratio": _ratio(*costs),
        "p99_ratio": _ratio(*p99s),
    }
    per_round = ", ".join(f"{each or 0:.2f}x" for each in figures["round_ratios"])
    line = (
        f"{name} vs baseline: throughput {figures['throughput_ratio'] or 0:.2f}x "
        f"(rounds {per_round}), CPU cost {figures['cpu_cost_ratio'] or 0:.2f}x, "
        f"p99 {p99s[0]} / {p99s[1]} ms = {figures['p99_ratio'] or 0:.2f}x"
    )
    if target:
        figure, relation, bound = target.split()
        ratio = figures[f"{figure}_ratio"]  # None (no requests) misses either target
        compare = operator.ge if relation == ">=" else operator.le
        figures["is_met"] = ratio is not None and compare(ratio, float(bound))
        line += f"; target {target}x: {'met' if figures['is_met'] else 'MISSED'}"
    print(line)
    return figures


def table(results: dict, server: dict) -> None:
    """Per phase and outcome: requests, req/s, p50, p99; per phase: lost writes, CPU
    ms a request and cores used by the load generator and anything else."""
    print(
        f"\ngunicorn {server['worker_class']} workers={server['workers']} "
        f"threads={server['threads']}; {server['clients']} clients; "
        f"{server['warmup']:g} s warm-up + {server['seconds']:g} s per phase"
    )
    print(
        f"{'phase':<20}{'outcome':<12}{'requests':>9}{'req/s':>9}{'p50 ms':>9}"
        f"{'p99 ms':>9}{'lost':>6}  CPU ms/req: app db  cores: loadgen other"
    )
    for name, phase in results.items():
        app, db = cpu_ms_per_request(phase).values()
        busy = phase["machine_busy_pct"] / 100 * server["cpu_count"]
        loadgen = phase["loadgen_cpu_cores"]
        ours = loadgen + sum(phase[f"{role}_cpu_cores"] for role in ROLES)
        print(
            f"{name:<20}{_row('all', phase['all'])}{phase['lost_writes']:>6}"
            f"{app:>16.2f}{db:>5.2f}{loadgen:>17.2f}{max(0.0, busy - ours):>6.2f}"
        )
        if len(phase["by_outcome"]) > 1:
            for outcome, row in phase["by_outcome"].items():
                print(f"{'':<20}{_row(outcome, row)}")


def _row(outcome: str, row: dict) -> str:
    p50, p99 = row["p50_ms"] or 0.0, row["p99_ms"] or 0.0
    return f"{outcome:<12}{row['requests']:>9}{row['rps']:>9.1f}{p50:>9.2f}{p99:>9.2f}"


def write(name: str, document: dict) -> None:
    """var/bench/<name>.json."""
    path = RESULTS_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2))
    print(f"results: {path.relative_to(RESULTS_DIR.parents[1])}")
