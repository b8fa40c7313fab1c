"""The verdict against the issue's target, and what run.py prints beyond autosave's
table (which it reuses): each lease phase against the baseline, and presigning."""

from bench.autosave.report import ROLES, cpu_ms_per_request

MIN_THROUGHPUT_RATIO = 0.7


def verdict(results: dict, *, headline: str) -> dict:
    """Each lease phase's throughput and CPU cost against the baseline's."""
    if "baseline" not in results:
        return {}
    baseline = results["baseline"]
    baseline_cost = sum(cpu_ms_per_request(baseline, role) for role in ROLES)
    summary: dict = {"headline": headline, "phases": {}}
    for name, phase in results.items():
        if name == "baseline":
            continue
        ratio = phase["all"]["rps"] / baseline["all"]["rps"]
        cost = sum(cpu_ms_per_request(phase, role) for role in ROLES)
        summary["phases"][name] = {
            "throughput_ratio": round(ratio, 3),
            "is_throughput_met": ratio >= MIN_THROUGHPUT_RATIO,
            # Where the ratio tends on a CPU-bound server with the cores to itself.
            "cpu_cost_ratio": round(baseline_cost / cost, 3) if cost else 0.0,
            "round_ratios": [
                round(lease / base, 2) if base else 0.0
                for base, lease in zip(
                    baseline["round_rps"], phase["round_rps"], strict=True
                )
            ],
        }
    if headline in summary["phases"]:
        summary["is_throughput_met"] = summary["phases"][headline]["is_throughput_met"]
    return summary


def report(results: dict, summary: dict, presign: dict) -> None:
    print("(lost, for lease phases: |MediaAsset rows - 201s seen by clients|)")
    for name, figures in summary.get("phases", {}).items():
        star = "  <- headline" if name == summary["headline"] else ""
        met = "met" if figures["is_throughput_met"] else "MISSED"
        print(
            f"{name}/baseline throughput {figures['throughput_ratio']:.2f}x "
            f"(target >= {MIN_THROUGHPUT_RATIO}x: {met}); rounds "
            f"{', '.join(f'{ratio:.2f}x' for ratio in figures['round_ratios'])}; "
            f"CPU-cost ratio {figures['cpu_cost_ratio']:.2f}x{star}"
        )
    print("\npresigning alone, in-process, one reused client (us per call):")
    for name, figures in presign.items():
        if "cpu_us" in figures:
            print(
                f"  {name:<38}{figures['wall_us']:>8.1f} wall"
                f"{figures['cpu_us']:>8.1f} CPU"
            )
        else:
            print(
                f"  {name:<38}{figures['first_ms']:>8.1f} ms first, "
                f"{figures['later_ms']:.1f} ms later"
            )
    shapes = {
        "leases": "S3Storage.upload_instruction POST",
        "lease_put": "S3Storage.upload_instruction PUT",
    }
    for name, instruction in shapes.items():
        if name in results and instruction in presign and results[name]["all"]["rps"]:
            app_ms = cpu_ms_per_request(results[name], "gunicorn")
            presign_ms = presign[instruction]["cpu_us"] / 1000
            print(
                f"  {name}: presigning {presign_ms:.3f} ms of {app_ms:.2f} ms gunicorn "
                f"CPU per lease ({100 * presign_ms / app_ms:.0f}%)"
            )
