"""Benchmark upload-lease issuance against autosave's plain Django baseline, one run.

    .venv/bin/python bench/leases/run.py [--seconds 15] [--clients 32] [--profile N]

With STORAGE_BACKEND=s3, three phases alternate in `--rounds` slices, closed loops
of `--clients` clients each (workload.py): the baseline (bench/autosave), leases
(the headline: a presigned POST) and lease_put (with a SHA-256: a presigned PUT).
Target: leases >= 0.7x the baseline's req/s. The S3 endpoint is a loopback port
that refuses connections, so a lease that called S3 would fail ("http 5xx").
Presigning alone is timed in-process first. Writes var/bench/leases.json.
"""

import argparse
import socket
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # make `bench` importable

from bench.autosave.workload import drafts_phase, saver  # noqa: E402
from bench.harness import report, server  # noqa: E402
from bench.leases import workload  # noqa: E402

LEASE_PHASES = {"leases": "POST", "lease_put": "PUT"}  # name: presigned method
HEADLINE, TARGET = "leases", "throughput >= 0.7"
MAX_LEASES_PER_SECOND = 1500  # all clients together, a generous bound


async def drive(target: server.Server) -> dict:
    arguments, clients = target.arguments, target.arguments.clients
    calls = arguments.presign_calls
    print(f"presigning alone: {calls} calls of each kind", flush=True)
    target.notes["presign"] = target.call(workload.presign_measure, calls=calls)
    # Users a phase may need: 50 leases as each, as many as a load or a profile
    # (201 + 2N) may take, and each slice, each client leaves a user it had begun.
    duration = arguments.warmup + arguments.seconds
    leases = max(MAX_LEASES_PER_SECOND * duration, 2 * (arguments.profile or 0) + 201)
    per_phase = int(leases / workload.LEASES_PER_USER) + clients * arguments.rounds
    count = len(LEASE_PHASES) * per_phase + 1
    users = iter(map(tuple, target.call(workload.users_create, count=count)))
    sample = (await workload.lease_once(target, next(users)))["upload"]
    print(f"a lease's instruction: {sample['method']} {sample['url']}", flush=True)
    phases = {}
    for name in arguments.phases:
        if name == "baseline":
            phases[name] = await drafts_phase(
                target, clients, 10_000, saver, to="baseline"
            )
        else:
            pool = [next(users) for _ in range(per_phase)]
            put = LEASE_PHASES[name] == "PUT"
            phases[name] = workload.leases_phase(target, pool, clients, with_sha256=put)
    return await target.interleave(phases)


def verdict(results: dict, notes: dict) -> dict:
    """Each lease phase's ratios to the baseline; printed with presigning's share."""
    summary = {}
    print("(lost, for lease phases: |MediaAsset rows - 201s seen by clients|)")
    for name in [n for n in LEASE_PHASES if n in results and "baseline" in results]:
        label = name + ("  (headline)" if name == HEADLINE else "")
        pair = results[name], results["baseline"]
        summary[name] = report.judge(label, *pair, target=TARGET)
    print("presigning alone, in-process, one reused client (us per call):")
    for name, us in notes["presign"].items():
        print(f"  {name:<38}{us['wall_us']:>8.1f} wall{us['cpu_us']:>8.1f} CPU")
    for name, method in LEASE_PHASES.items():
        if name in results and results[name]["all"]["rps"]:
            app_ms = report.cpu_ms_per_request(results[name])["gunicorn"]
            presign = notes["presign"][f"S3Storage {method}"]["cpu_us"] / 1000
            print(
                f"  {name}: presigning {presign:.3f} ms of {app_ms:.2f} ms gunicorn "
                f"CPU per lease ({100 * presign / app_ms:.0f}%)"
            )
    return {"lease_phases": summary}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--presign-calls", type=int, default=5000)
    with socket.socket() as refusing:  # bound, never listening
        refusing.bind(("127.0.0.1", 0))
        server.run(
            parser,
            name="leases",
            phases=("baseline", *LEASE_PHASES),
            database="poster_bench_leases",
            drive=drive,
            verdict=verdict,
            settings={
                "STORAGE_BACKEND": "s3",
                "S3_ENDPOINT_URL": f"http://127.0.0.1:{refusing.getsockname()[1]}",
                "S3_BUCKET": "poster-bench",
                "S3_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": "test",
                "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_EC2_METADATA_DISABLED": "true",
                "MEDIA_MAX_PENDING": str(workload.LEASES_PER_USER),
            },
        )
