"""The verdict against the issue's targets, and the table run.py prints."""

MIN_THROUGHPUT_RATIO = 0.75
MAX_P99_MS = 50.0
ROLES = ("gunicorn", "postgres")


def cpu_ms_per_request(phase: dict, role: str) -> float:
    """CPU milliseconds `role` ("gunicorn", "postgres") spent per request served."""
    rps = phase["all"]["rps"]
    return 1000 * phase[f"{role}_cpu_cores"] / rps if rps else 0.0


def other_cores(phase: dict, server: dict) -> float:
    """Cores busy with anything but the load generator, gunicorn and its backends."""
    busy = phase["machine_busy_pct"] / 100 * server["cpu_count"]
    ours = phase["loadgen_cpu_cores"] + sum(phase[f"{r}_cpu_cores"] for r in ROLES)
    return max(0.0, busy - ours)


def verdict(results: dict) -> dict:
    """Autosave against the baseline: at saturation, and (if run) at each paced load."""
    summary: dict = {}
    if "baseline" in results and "autosave" in results:
        baseline, autosave = results["baseline"]["all"], results["autosave"]["all"]
        ratio = autosave["rps"] / baseline["rps"] if baseline["rps"] else 0.0
        summary["throughput_ratio"] = round(ratio, 3)
        summary["is_throughput_met"] = ratio >= MIN_THROUGHPUT_RATIO
        summary["is_p99_met"] = (autosave["p99_ms"] or float("inf")) <= MAX_P99_MS
        # What the throughput ratio would be if gunicorn and PostgreSQL had the cores
        # to themselves: the inverse ratio of the CPU each request costs them.
        cost = {
            name: sum(cpu_ms_per_request(results[name], r) for r in ROLES)
            for name in ("baseline", "autosave")
        }
        summary["cpu_cost_ratio"] = round(
            cost["baseline"] / cost["autosave"] if cost["autosave"] else 0.0, 3
        )
    paced = [phase for name, phase in results.items() if name.startswith("paced")]
    if paced:
        baseline_rps = results.get("baseline", {}).get("all", {}).get("rps")
        summary["paced"] = [
            {
                "offered_rps": phase["offered_rps"],
                "of_baseline": (
                    round(phase["offered_rps"] / baseline_rps, 2)
                    if baseline_rps
                    else None
                ),
                "served_rps": phase["all"]["rps"],
                "p99_ms": phase["all"]["p99_ms"],
                "is_p99_met": (phase["all"]["p99_ms"] or float("inf")) <= MAX_P99_MS,
            }
            for phase in paced
        ]
        within = [
            each["offered_rps"] for each in summary["paced"] if each["is_p99_met"]
        ]
        summary["max_paced_rps_within_p99"] = max(within, default=None)
    return summary


def _rows(phase: dict) -> list[tuple[str, dict]]:
    rows = [("all", phase["all"])]
    if len(phase["by_outcome"]) > 1:
        rows += list(phase["by_outcome"].items())
    return rows


def _met(is_met: bool) -> str:
    return "met" if is_met else "MISSED"


def report(results: dict, summary: dict, server: dict) -> None:
    print(
        f"\ngunicorn {server['worker_class']} workers={server['workers']} "
        f"threads={server['threads']}; {server['clients']} clients; "
        f"{server['warmup']:g} s warm-up + {server['seconds']:g} s per phase"
    )
    print(
        f"{'phase':<10}{'outcome':<12}{'requests':>9}{'req/s':>9}{'p50 ms':>9}"
        f"{'p99 ms':>9}{'lost':>6}  CPU ms/req: app db  cores: loadgen other"
    )
    for name, phase in results.items():
        for index, (outcome, row) in enumerate(_rows(phase)):
            app, db = (cpu_ms_per_request(phase, role) for role in ROLES)
            tail = (
                f"{phase['lost_writes']:>6}{app:>16.2f}{db:>5.2f}"
                f"{phase['loadgen_cpu_cores']:>17.2f}{other_cores(phase, server):>6.2f}"
                if index == 0
                else ""
            )
            p50, p99 = row["p50_ms"] or 0.0, row["p99_ms"] or 0.0
            print(
                f"{name if index == 0 else '':<10}{outcome:<12}{row['requests']:>9}"
                f"{row['rps']:>9.1f}{p50:>9.2f}{p99:>9.2f}{tail}"
            )
    if "conflict" in results:
        conflict = results["conflict"]
        outcomes = conflict["by_outcome"]
        rejected = outcomes.get("http 412", {"requests": 0})["requests"]
        written = sum(
            outcomes.get(kind, {"rps": 0.0})["rps"] for kind in ("fast", "merged")
        )
        share = 100 * rejected / max(1, conflict["all"]["requests"])
        print(f"conflict: {share:.1f}% of requests got 412; {written:.1f} writes/s")
    if "throughput_ratio" in summary and len(results["baseline"]["round_rps"]) > 1:
        pairs = zip(
            results["baseline"]["round_rps"],
            results["autosave"]["round_rps"],
            strict=True,
        )
        print(
            "rounds, autosave/baseline req/s: "
            + ", ".join(f"{a:g}/{b:g} = {a / b:.2f}x" for b, a in pairs if b)
        )
    if "throughput_ratio" in summary:
        print(
            f"autosave/baseline throughput {summary['throughput_ratio']:.2f}x "
            f"(target >= {MIN_THROUGHPUT_RATIO}x: "
            f"{_met(summary['is_throughput_met'])}); autosave p99 at saturation "
            f"{results['autosave']['all']['p99_ms']} ms (target <= {MAX_P99_MS:g} ms: "
            f"{_met(summary['is_p99_met'])})"
        )
        print(
            f"CPU per request, gunicorn + PostgreSQL: baseline/autosave "
            f"{summary['cpu_cost_ratio']:.2f}x (where the throughput ratio tends on "
            f"a CPU-bound server with the cores to itself)"
        )
    for each in summary.get("paced", []):
        share = (
            f" ({each['of_baseline']:.2f}x the baseline's)"
            if each["of_baseline"]
            else ""
        )
        print(
            f"paced autosave at {each['offered_rps']:g} req/s offered{share}, "
            f"{each['served_rps']:g} served: p99 {each['p99_ms']} ms "
            f"(target <= {MAX_P99_MS:g} ms: "
            f"{_met(each['is_p99_met'])})"
        )
    if summary.get("paced"):
        print(
            f"highest paced load with p99 <= {MAX_P99_MS:g} ms: "
            f"{summary['max_paced_rps_within_p99'] or 'none'} req/s offered"
        )
