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
from bench.harness.loadgen import Phase  # noqa: E402

PHASES = ("baseline", "autosave", "paced", "merge", "conflict")
PACED_FRACTIONS_OF_BASELINE = (0.25, 0.5, 0.75)
TARGET_FRACTION = 0.5  # of the saturated baseline's req/s: where P99_TARGET holds
THROUGHPUT_TARGET, P99_TARGET = "throughput >= 0.75", "p99 <= 1.25"


def rates(text: str) -> list[float]:
    """`--paced-rps`: comma-separated requests/s, each above zero."""
    values = [float(rate) for rate in text.split(",")]  # argparse reports ValueError
    if min(values) <= 0:
        raise argparse.ArgumentTypeError(f"every rate must be above zero: {text}")
    return values


async def drive(target: server.Server) -> dict:
    seeds, arguments, results = itertools.count(10_000, 10_000), target.arguments, {}
    clients, phases = arguments.clients, arguments.phases

    async def drafts(
        count: int,
        client: workload.Client = workload.saver,
        per_draft: int = 1,
        **options: object,
    ) -> Phase:
        """A phase on `count` new drafts, seeded apart from every other phase's."""
        seed = next(seeds)
        phase = workload.drafts_phase
        return await phase(target, count, seed, client, per_draft, **options)

    if saturated := [name for name in ("baseline", "autosave") if name in phases]:
        pair = {name: await drafts(clients, to=name) for name in saturated}
        results |= await target.interleave(pair)
    offered = arguments.paced_rps or []
    if not offered and "baseline" in results:
        rps = results["baseline"]["all"]["rps"]
        offered = [fraction * rps for fraction in PACED_FRACTIONS_OF_BASELINE]
    if "paced" in phases and not offered:
        print("paced: skipped (give --paced-rps or run baseline first)")
    for rate in offered if "paced" in phases else []:
        interval = clients / rate  # each client's, for `rate` from all of them
        pair = {
            f"{name} @{rate:.0f}/s": await drafts(clients, to=name, interval=interval)
            for name in ("baseline", "autosave")
        }
        for name, figures in (await target.interleave(pair)).items():
            results[name] = figures | {"offered_rps": rate}
    shared = {"merge": (workload.merge_pair, 1), "conflict": (workload.saver, 2)}
    for name, (client, per_draft) in shared.items():  # clients on each draft
        if name in phases:
            phase = await drafts(clients // 2, client, per_draft)
            results |= await target.interleave({name: phase}, rounds=1)
    return results


def verdict(results: dict, notes: dict) -> dict:
    """The saturated throughput ratio, the p99 ratio at each paced rate; printed."""
    summary: dict = {"paced": []}
    if "conflict" in results:
        outcomes, every = results["conflict"]["by_outcome"], results["conflict"]["all"]
        rejected = outcomes.get("http 412", {"requests": 0})["requests"]
        written = sum(
            outcomes[kind]["rps"] for kind in outcomes.keys() & {"fast", "merged"}
        )
        percent = 100 * rejected / max(1, every["requests"])
        print(f"conflict: {percent:.1f}% of requests got 412; {written:.1f} writes/s")
    if "baseline" in results and "autosave" in results:
        pair = results["autosave"], results["baseline"]
        summary["saturated"] = report.judge("autosave", *pair, target=THROUGHPUT_TARGET)
    saturated_rps = results.get("baseline", {}).get("all", {}).get("rps")
    for name in [name for name in results if name.startswith("autosave @")]:
        phase, baseline = results[name], results[name.replace("autosave", "baseline")]
        rate = phase["offered_rps"]
        share = round(rate / saturated_rps, 2) if saturated_rps else None
        label = name + (f" ({share:.2f}x saturated)" if share else "")
        target = P99_TARGET if share == TARGET_FRACTION else ""
        figures = report.judge(label, phase, baseline, target=target)
        summary["paced"].append({"offered_rps": rate, "of_baseline": share, **figures})
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paced-rps", type=rates, help="comma-separated total rates")
    server.run(
        parser,
        name="autosave",
        phases=PHASES,
        database="poster_bench",
        drive=drive,
        verdict=verdict,
    )
