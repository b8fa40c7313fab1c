"""Benchmark upload-lease issuance against autosave's plain Django baseline, one run.

    .venv/bin/python bench/leases/run.py [--seconds 15] [--clients 32] [--profile N]

On a fresh database `poster_bench_leases` and one gunicorn (bench/harness/server.py)
with STORAGE_BACKEND=s3 against a loopback "S3" that only counts connections (a
lease presigns, which is local computation, and must never contact it), three
phases alternate in `--rounds` slices, closed loops with `--clients` clients each
(bench/leases/workload.py): the baseline (bench/autosave/baseline.py), leases (the
headline, a presigned POST) and lease_put (with a SHA-256: a presigned PUT). Target:
leases >= 0.7x the baseline's req/s. Before the load, presign.py times presigning
alone. `--profile N` profiles N in-process requests of each kind instead.

Prints the table, the ratios and presigning's share of a lease's CPU; writes
var/bench/leases.json.
"""

import argparse
import asyncio
import functools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # make `bench` importable

from bench.autosave.workload import Drafts, saver  # noqa: E402
from bench.harness import loadgen, report, server  # noqa: E402
from bench.leases import workload  # noqa: E402

LEASE_PHASES = {"leases": False, "lease_put": True}  # name: with a SHA-256
HEADLINE, MIN_THROUGHPUT_RATIO = "leases", 0.7
TABLES = ("drafts_draft", "drafts_draftrevision", "media_uploads_mediaasset")
TABLES += ("auth_user",)
MAX_LEASES_PER_SECOND = 1500  # a generous bound, to create users enough


async def drive(arguments, environment: dict, port: int, pid: int, token: str, s3):
    per_client = (
        -(
            -int(MAX_LEASES_PER_SECOND * (arguments.warmup + arguments.seconds))
            // (arguments.clients * workload.LEASES_PER_USER)
        )
        + 1
    )
    count = len(LEASE_PHASES) * arguments.clients * per_client + 1
    function = f"{workload.__name__}.users_create"
    users = iter(map(tuple, server.django_call(environment, function, count=count)))
    leases = workload.Leases(port=port, database_url=environment["DATABASE_URL"])
    sample = (await leases.lease_once(next(users)))["upload"]
    if not sample["url"].startswith(s3.url):
        raise RuntimeError(f"the lease does not point at {s3.url}: {sample}")
    print(f"a lease's instruction: {sample['method']} {sample['url']}", flush=True)
    drafts = Drafts(port=port, token=token)
    phases = {}
    for name in arguments.phases:
        if name == "baseline":
            made = await drafts.create(arguments.clients, seed=10_000)
            phases[name] = drafts.phase(made, saver, to="baseline")
            continue
        slots = [
            workload.LeaseSlot([next(users) for _ in range(per_client)])
            for _ in range(arguments.clients)
        ]
        phases[name] = leases.phase(slots, with_sha256=LEASE_PHASES[name])
    return await loadgen.interleave(
        phases,
        rounds=arguments.rounds,
        warmup=arguments.warmup,
        seconds=arguments.seconds,
        meter=loadgen.CpuMeter(server_pid=pid, database=arguments.database),
        before_slice=functools.partial(server.vacuum, environment, TABLES),
    )


def print_verdict(results: dict, summary: dict, presign: dict) -> None:
    print("(lost, for lease phases: |MediaAsset rows - 201s seen by clients|)")
    for name, figures in summary.items():
        print(
            report.ratios_line(name, figures)
            + f"; target >= {MIN_THROUGHPUT_RATIO}x: "
            + report.met(figures["is_throughput_met"])
            + ("  <- headline" if name == HEADLINE else "")
        )
    print("\npresigning alone, in-process, one reused client (us per call):")
    for name, figures in presign.items():
        wall, cpu = figures["wall_us"], figures["cpu_us"]
        print(f"  {name:<38}{wall:>8.1f} wall{cpu:>8.1f} CPU")
    for name, method in (("leases", "POST"), ("lease_put", "PUT")):
        if name in results and results[name]["all"]["rps"]:
            app_ms = report.cpu_ms_per_request(results[name], "gunicorn")
            presign_us = presign[f"S3Storage.upload_instruction {method}"]["cpu_us"]
            presign_ms = presign_us / 1000
            print(
                f"  {name}: presigning {presign_ms:.3f} ms of {app_ms:.2f} ms gunicorn "
                f"CPU per lease ({100 * presign_ms / app_ms:.0f}%)"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--presign-calls", type=int, default=5000)
    phases = ("baseline", *LEASE_PHASES)
    arguments = server.parse(parser, phases=phases, database="poster_bench_leases")
    s3 = workload.LoopbackS3()
    storage = {
        "STORAGE_BACKEND": "s3",
        "S3_ENDPOINT_URL": s3.url,
        "S3_BUCKET": "poster-bench",
        "S3_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_EC2_METADATA_DISABLED": "true",
        "MEDIA_MAX_PENDING": str(workload.LEASES_PER_USER),
    }
    try:
        with server.prepared(arguments, **storage) as environment:
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
            print(f"presigning alone: {arguments.presign_calls} calls of each kind")
            function, calls = "bench.leases.presign.measure", arguments.presign_calls
            presign = server.django_call(environment, function, calls=calls)
            with server.serving(arguments, environment) as (pid, port):
                results = asyncio.run(
                    drive(arguments, environment, port, pid, token, s3)
                )
    finally:
        s3.close()
    described = {
        **server.describe(arguments),
        "storage": "s3 (loopback endpoint, never contacted)",
        "s3_connections_seen": s3.connections,
    }
    summary = {
        name: {
            **(figures := report.against(results[name], results["baseline"])),
            "is_throughput_met": (figures["throughput_ratio"] or 0)
            >= MIN_THROUGHPUT_RATIO,
        }
        for name in LEASE_PHASES
        if name in results and "baseline" in results
    }
    report.table(results, described)
    print_verdict(results, summary, presign)
    print(
        f"connections to the loopback S3 during the run: {s3.connections}"
        + ("" if s3.connections == 0 else "  <- something in the lease path called S3")
    )
    document = {"server": described, "phases": summary, "presign": presign}
    report.write("leases", {**document, "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
