"""Benchmark draft autosave against a plain Django UPDATE (baseline.py), in one run.

    .venv/bin/python bench/autosave/run.py [--phases baseline,autosave,paced,merge,
        conflict] [--paced-rps 100,150,200] [--profile N] [--seconds 15] ...

Phases, in this order (README, Benchmarks): baseline and autosave, closed loops
alternating in `--rounds` slices (target: throughput >= 0.75x the baseline's);
paced, both again at fixed total rates, 0.25x, 0.5x and 0.75x the baseline's
saturated req/s or `--paced-rps` (target: p99 <= 1.25x the baseline's at 0.5x);
merge and conflict on shared drafts (no write may be lost). Writes
var/bench/autosave.json.
"""

import argparse
import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # make `bench` importable

from bench.autosave import workload  # noqa: E402
from bench.harness import report, server  # noqa: E402

PHASES = ("baseline", "autosave", "paced", "merge", "conflict")
PACED_FRACTIONS_OF_BASELINE = (0.25, 0.5, 0.75)
TARGET_FRACTION = 0.5
MIN_THROUGHPUT_RATIO, MAX_P99_RATIO = 0.75, 1.25


def rates(text: str) -> list[float]:
    """`--paced-rps`: comma-separated requests/s, each above zero."""
    values = [float(rate) for rate in text.split(",")]  # argparse reports ValueError
    if min(values) <= 0:
        raise argparse.ArgumentTypeError(f"every rate must be above zero: {text}")
    return values


async def drive(target: server.Server) -> dict:
    drafts, seeds = workload.Drafts(target), itertools.count(10_000, 10_000)
    arguments, results = target.arguments, {}
    clients, phases = arguments.clients, arguments.phases

    async def saving(to: str, interval: float | None = None):
        made = await drafts.create(clients, seed=next(seeds))
        return drafts.phase(made, workload.saver, to=to, interval=interval)

    if saturated := [name for name in ("baseline", "autosave") if name in phases]:
        results |= await target.interleave(
            {name: await saving(name) for name in saturated}
        )
    offered = arguments.paced_rps or []
    if not offered and "baseline" in results:
        baseline_rps = results["baseline"]["all"]["rps"]
        offered = [fraction * baseline_rps for fraction in PACED_FRACTIONS_OF_BASELINE]
    if "paced" in phases and not offered:
        print("paced: skipped (give --paced-rps or run baseline first)")
    for rate in offered if "paced" in phases else []:
        pair = {
            f"{name} @{rate:.0f}/s": await saving(name, interval=clients / rate)
            for name in ("baseline", "autosave")
        }
        figures = await target.interleave(pair)
        results |= {
            name: {**each, "offered_rps": rate} for name, each in figures.items()
        }
    shared = {  # client, clients per draft, its options
        "merge": (workload.merge_pair, 1, {"other": target.connect}),
        "conflict": (workload.saver, 2, {}),
    }
    for name, (client, per_draft, options) in shared.items():
        if name in phases:
            made = await drafts.create(clients // 2, seed=next(seeds))
            phase = drafts.phase(made, client, per_draft, **options)
            results |= await target.interleave({name: phase}, rounds=1)
    return results


def verdict(results: dict, notes: dict) -> dict:
    """The saturated throughput ratio, the p99 ratio at each paced rate; printed."""
    summary: dict = {"paced": []}
    if "conflict" in results:
        outcomes, every = results["conflict"]["by_outcome"], results["conflict"]["all"]
        rejected = outcomes.get("http 412", {"requests": 0})["requests"]
        written = sum(
            outcomes.get(kind, {"rps": 0})["rps"] for kind in ("fast", "merged")
        )
        share = 100 * rejected / max(1, every["requests"])
        print(f"conflict: {share:.1f}% of requests got 412; {written:.1f} writes/s")
    if "baseline" in results and "autosave" in results:
        summary["saturated"] = report.judge(
            "autosave",
            results["autosave"],
            results["baseline"],
            min_throughput_ratio=MIN_THROUGHPUT_RATIO,
        )
    saturated_rps = results.get("baseline", {}).get("all", {}).get("rps")
    for name in [name for name in results if name.startswith("autosave @")]:
        phase, baseline = results[name], results[name.replace("autosave", "baseline")]
        rate = phase["offered_rps"]
        fraction = round(rate / saturated_rps, 2) if saturated_rps else None
        label = name + (f" ({fraction:.2f}x saturated)" if fraction else "")
        limit = MAX_P99_RATIO if fraction == TARGET_FRACTION else None
        figures = report.judge(label, phase, baseline, max_p99_ratio=limit)
        summary["paced"].append(
            {"offered_rps": rate, "of_baseline": fraction, **figures}
        )
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paced-rps", type=rates, help="comma-separated total rates")
    server.run(
        parser,
        name="autosave",
        phases=PHASES,
        database="poster_bench",
        tables=("drafts_draft", "drafts_draftrevision"),
        drive=drive,
        verdict=verdict,
    )
