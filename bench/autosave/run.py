"""Benchmark draft autosave against a plain Django UPDATE (baseline.py), in one run.

    .venv/bin/python bench/autosave/run.py [--seconds 15] [--clients 32]
        [--phases baseline,autosave,paced,merge,conflict] [--paced-rps 100,150,200]

On a fresh database `poster_bench` and one gunicorn (bench/harness/server.py), with
`--clients` keep-alive clients (bench/autosave/workload.py says what each does), the
phases run in this order, each `--warmup` seconds unrecorded and `--seconds` recorded:

- baseline and autosave, closed loops, alternating in `--rounds` slices: the
  throughput ratio, target >= 0.75x.
- paced: baseline and autosave again, alternating, both offered the same fixed total
  rate, once per rate (default 0.25x, 0.5x and 0.75x the baseline's saturated
  req/s): the p99 ratio, target <= 1.25x at 0.5x. A ratio, not milliseconds: this
  host is noisy, and a closed loop's latency is only clients / throughput.
- merge and conflict, closed loops on shared drafts: no write may be lost.

`--profile N` profiles N in-process requests of each kind instead. Prints the table
and the ratios; writes var/bench/autosave.json.
"""

import argparse
import asyncio
import functools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # make `bench` importable

from bench.autosave import workload  # noqa: E402
from bench.harness import loadgen, report, server  # noqa: E402

PHASES = ("baseline", "autosave", "paced", "merge", "conflict")
PACED_FRACTIONS_OF_BASELINE = (0.25, 0.5, 0.75)
TARGET_FRACTION = 0.5
MIN_THROUGHPUT_RATIO, MAX_P99_RATIO = 0.75, 1.25
TABLES = ("drafts_draft", "drafts_draftrevision")


def rates(text: str) -> list[float]:
    """`--paced-rps`: comma-separated requests/s, each above zero."""
    try:
        values = [float(rate) for rate in text.split(",")]
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text}") from error
    if not all(value > 0 for value in values):
        raise argparse.ArgumentTypeError(f"every rate must be above zero: {text}")
    return values


async def drive(arguments: argparse.Namespace, environment: dict, port, pid, token):
    drafts = workload.Drafts(port=port, token=token)
    timing = {
        "meter": loadgen.CpuMeter(server_pid=pid, database=arguments.database),
        "before_slice": functools.partial(server.vacuum, environment, TABLES),
        "warmup": arguments.warmup,
        "seconds": arguments.seconds,
    }
    clients, seed, results = arguments.clients, 10_000, {}

    async def saving(to: str, interval: float | None = None) -> loadgen.Phase:
        nonlocal seed
        seed += 10_000
        return drafts.phase(
            await drafts.create(clients, seed=seed),
            workload.saver,
            to=to,
            interval=interval,
        )

    saturated = [name for name in ("baseline", "autosave") if name in arguments.phases]
    if saturated:
        phases = {name: await saving(name) for name in saturated}
        results |= await loadgen.interleave(phases, rounds=arguments.rounds, **timing)
    offered = arguments.paced_rps or []
    if not offered and "baseline" in results:
        baseline_rps = results["baseline"]["all"]["rps"]
        offered = [fraction * baseline_rps for fraction in PACED_FRACTIONS_OF_BASELINE]
    for rate in offered if "paced" in arguments.phases else []:
        phases = {
            f"{name} @{rate:.0f}/s": await saving(name, interval=clients / rate)
            for name in ("baseline", "autosave")
        }
        figures = await loadgen.interleave(phases, rounds=arguments.rounds, **timing)
        results |= {
            name: {**each, "offered_rps": rate} for name, each in figures.items()
        }
    if "paced" in arguments.phases and not offered:
        print("paced: skipped (give --paced-rps or run baseline first)")
    shared = {
        "merge": (workload.merge_pair, 1, {"other": drafts.connect}),
        "conflict": (workload.conflict_client, 2, {}),
    }
    for name, (client, per_draft, options) in shared.items():
        if name in arguments.phases:
            seed += 10_000
            made = await drafts.create(clients // 2, seed=seed)
            phase = drafts.phase(made, client, per_draft, **options)
            results |= await loadgen.interleave({name: phase}, rounds=1, **timing)
    return results


def verdict(results: dict) -> dict:
    """The saturated throughput ratio, and the p99 ratio at each paced rate."""
    summary: dict = {}
    if "baseline" in results and "autosave" in results:
        figures = report.against(results["autosave"], results["baseline"])
        is_met = (figures["throughput_ratio"] or 0) >= MIN_THROUGHPUT_RATIO
        summary["saturated"] = {**figures, "is_throughput_met": is_met}
    saturated_rps = results.get("baseline", {}).get("all", {}).get("rps")
    summary["paced"] = []
    for name, phase in results.items():
        if not name.startswith("autosave @"):
            continue
        baseline = results[name.replace("autosave", "baseline", 1)]
        fraction = phase["offered_rps"] / saturated_rps if saturated_rps else None
        ratio = report.against(phase, baseline)["p99_ratio"]
        summary["paced"].append(
            {
                "offered_rps": round(phase["offered_rps"], 1),
                "of_baseline": round(fraction, 2) if fraction else None,
                "served_rps": phase["all"]["rps"],
                "baseline_p99_ms": baseline["all"]["p99_ms"],
                "autosave_p99_ms": phase["all"]["p99_ms"],
                "p99_ratio": ratio,
                "is_target": fraction is not None
                and round(fraction, 2) == TARGET_FRACTION,
                "is_p99_ratio_met": ratio is not None and ratio <= MAX_P99_RATIO,
            }
        )
    return summary


def print_verdict(results: dict, summary: dict) -> None:
    if "conflict" in results:
        outcomes, every = results["conflict"]["by_outcome"], results["conflict"]["all"]
        rejected = outcomes.get("http 412", {"requests": 0})["requests"]
        written = sum(
            outcomes.get(kind, {"rps": 0})["rps"] for kind in ("fast", "merged")
        )
        share = 100 * rejected / max(1, every["requests"])
        print(f"conflict: {share:.1f}% of requests got 412; {written:.1f} writes/s")
    if saturated := summary.get("saturated"):
        print(
            report.ratios_line("autosave", saturated)
            + f"; target >= {MIN_THROUGHPUT_RATIO}x: "
            + report.met(saturated["is_throughput_met"])
        )
    for each in summary["paced"]:
        share = (
            f" ({each['of_baseline']:.2f}x the baseline's)"
            if each["of_baseline"]
            else ""
        )
        target = (
            f"; target <= {MAX_P99_RATIO}x: {report.met(each['is_p99_ratio_met'])}"
            if each["is_target"]
            else ""
        )
        print(
            f"paced at {each['offered_rps']:g} req/s{share}, {each['served_rps']:g} "
            f"served: p99 autosave {each['autosave_p99_ms']} ms / baseline "
            f"{each['baseline_p99_ms']} ms = {each['p99_ratio'] or 0:.2f}x{target}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--paced-rps",
        type=rates,
        help="comma-separated total rates for the paced phase "
        "(default: 0.25x, 0.5x and 0.75x the baseline's saturated req/s)",
    )
    arguments = server.parse(parser, phases=PHASES, database="poster_bench")
    if arguments.clients < 2 or arguments.clients % 2:
        parser.error("--clients must be even: merge and conflict use pairs")
    with server.prepared(arguments) as environment:
        token = server.manage(environment, "create_api_user", "bench")
        if arguments.profile:
            server.django_call(
                environment,
                f"{workload.__name__}.profile",
                capture=False,
                token=token,
                requests=arguments.profile,
            )
            return 0
        with server.serving(arguments, environment) as (pid, port):
            results = asyncio.run(drive(arguments, environment, port, pid, token))
    summary, described = verdict(results), server.describe(arguments)
    report.table(results, described)
    print_verdict(results, summary)
    report.write("autosave", {"server": described, **summary, "phases": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
