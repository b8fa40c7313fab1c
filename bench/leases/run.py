"""Benchmark upload-lease issuance against autosave's plain Django baseline, one run.

    .venv/bin/python bench/leases/run.py [--seconds 15] [--clients 32]

Uses the autosave benchmark's harness as is (bench/autosave/run.py: database,
environment, gunicorn; loadgen.py's slices; report.py's table): recreates the
PostgreSQL database `poster_bench_leases`, migrates it, creates the `bench` API user
and, for each lease client, users enough to take 50 leases as each (poster's default
limit of pending leases, which the server keeps), and starts gunicorn with poster's
settings plus the baseline view. poster runs with STORAGE_BACKEND=s3 against a
loopback "S3" that only counts connections: presigning is local computation, so a
lease must never contact it, and the run says how many connections it saw. Then,
back to back against that server and interleaved in `--rounds` (loadgen.py here says
what each phase does): the baseline, leases (the headline) and leases with a SHA-256
(presigned PUT).

Before the load, presign.py times presigning alone in-process. `--profile N` skips
the load and profiles N in-process requests of each kind instead (profile_request.py).

Prints requests/s, p50 and p99 per phase, the CPU gunicorn and PostgreSQL spent per
request, each lease phase's throughput against the baseline and the 0.7x target, and
the presigning costs; writes it all to var/bench/leases.json. gunicorn is stopped,
the database dropped and the loopback S3 closed on every exit.
"""

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import redis

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))  # run as a script: make `bench` importable

from bench.autosave import report as autosave_report  # noqa: E402
from bench.autosave import run as harness  # noqa: E402
from bench.leases import loadgen, profile_request, report  # noqa: E402

RESULTS_PATH = REPO_ROOT / "var" / "bench" / "leases.json"
LEASE_TABLES = (*harness.AUTOSAVE_TABLES, "media_uploads_mediaasset", "auth_user")
# A generous bound on any phase's leases per second, to create users enough.
MAX_LEASES_PER_SECOND = 1500
USERS_SCRIPT = """
import json
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from core.accounts import api_user_ensure
bench = api_user_ensure(username="bench")
User = get_user_model()
users = User.objects.bulk_create(
    [User(username=f"bench-lease-{{n}}", password="!") for n in range({count})]
)
tokens = Token.objects.bulk_create(
    [Token(key=Token.generate_key(), user=user) for user in users]
)
pairs = [[bench.user.pk, bench.token]]
pairs += [[token.user.pk, token.key] for token in tokens]
print(json.dumps(pairs))
"""


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15, help="recorded, per phase")
    parser.add_argument("--warmup", type=float, default=3, help="unrecorded, per phase")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3, help="phases interleave")
    parser.add_argument(
        "--phases",
        default=",".join(loadgen.PHASES),
        help="comma-separated, run in this order each round (default: all)",
    )
    parser.add_argument("--presign-calls", type=int, default=5000)
    harness.add_server_arguments(parser, database="poster_bench_leases")
    arguments = parser.parse_args()
    arguments.phases = arguments.phases.split(",")
    if unknown := set(arguments.phases) - set(loadgen.PHASES):
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")
    return arguments


class LoopbackS3:
    """A loopback port posing as the S3 endpoint: it counts connections, answers none.

    A lease must only presign, which needs no network; any connection here means
    something in the lease path talked to storage.
    """

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self.connections = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self._stopping.set()
        self._thread.join()
        self._socket.close()


def lease_environment(url: str, var_dir: str, *, s3_url: str) -> dict[str, str]:
    """autosave's server environment, on S3 and with limits that refuse nothing."""
    return {
        **harness.server_environment(url, var_dir),
        "STORAGE_BACKEND": "s3",
        "S3_ENDPOINT_URL": s3_url,
        "S3_BUCKET": "poster-bench",
        "S3_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_EC2_METADATA_DISABLED": "true",
        "MEDIA_MAX_PENDING": str(loadgen.LEASES_PER_USER),
    }


def users_create(environment: dict[str, str], count: int) -> list[loadgen.ApiUser]:
    """The `bench` user first, then `count` users `bench-lease-0` .., in one process."""
    printed = harness.manage(
        environment, "shell", "-c", USERS_SCRIPT.format(count=count)
    )
    return [
        loadgen.ApiUser(id=pk, token=token)
        for pk, token in json.loads(printed.splitlines()[-1])
    ]


def lease_slots(
    arguments: argparse.Namespace, users: list[loadgen.ApiUser]
) -> dict[str, list[loadgen.LeaseSlot]]:
    """Each lease phase's clients, each with users of its own."""
    per_client = users_per_client(arguments)
    pool = iter(users)
    return {
        phase: [
            loadgen.LeaseSlot([next(pool) for _ in range(per_client)])
            for _ in range(arguments.clients)
        ]
        for phase in loadgen.LEASE_PHASES
    }


def users_per_client(arguments: argparse.Namespace) -> int:
    leases = MAX_LEASES_PER_SECOND * (arguments.warmup + arguments.seconds)
    return -(-int(leases) // (arguments.clients * loadgen.LEASES_PER_USER)) + 1


def module_run(environment: dict[str, str], module: str, *arguments: str) -> None:
    subprocess.run(
        [sys.executable, "-m", module, *arguments],
        cwd=REPO_ROOT,
        env=environment,
        check=True,
        timeout=900,
    )


def presign_measure(environment: dict[str, str], *, calls: int, var_dir: str) -> dict:
    output = Path(var_dir) / "presign.json"
    print(f"presigning alone: {calls} calls of each kind, in-process", flush=True)
    module_run(
        environment, "bench.leases.presign", f"--calls={calls}", f"--json={output}"
    )
    return json.loads(output.read_text())


def serve_and_drive(
    arguments: argparse.Namespace,
    environment: dict[str, str],
    *,
    users: list[loadgen.ApiUser],
    s3: LoopbackS3,
    log_path: Path,
) -> dict:
    """Start gunicorn, run the phases against it, and stop it whatever happens."""
    bench_user, slots = users[0], lease_slots(arguments, users[1:])
    serving = harness.gunicorn_serving(arguments, environment, log_path=log_path)
    with serving as (server, port):
        bench = loadgen.LeaseBench(
            port=port,
            token=bench_user.token,
            database_url=environment["DATABASE_URL"],
        )
        sample = asyncio.run(loadgen.lease_once(bench, users[-1]))["upload"]
        if not sample["url"].startswith(s3.url):
            raise RuntimeError(f"the lease does not point at {s3.url}: {sample}")
        print(f"a lease's instruction: {sample['method']} {sample['url']}", flush=True)
        return asyncio.run(
            loadgen.drive(
                bench=bench,
                slots=slots,
                server_pid=server.pid,
                database=arguments.database,
                client_count=arguments.clients,
                phases=arguments.phases,
                rounds=arguments.rounds,
                warmup=arguments.warmup,
                seconds=arguments.seconds,
                before_slice=lambda: harness.database_vacuum(
                    environment["DATABASE_URL"], LEASE_TABLES
                ),
            )
        )


def main() -> int:
    arguments = parse_arguments()
    redis.Redis.from_url(harness.CACHE_URL).flushdb()
    s3 = LoopbackS3()
    harness.database_recreate(arguments.admin_url, arguments.database)
    try:
        with tempfile.TemporaryDirectory(prefix="poster-bench-") as var_dir:
            url = harness.database_url(arguments.admin_url, arguments.database)
            environment = lease_environment(url, var_dir, s3_url=s3.url)
            harness.manage(environment, "migrate", "--noinput", "--verbosity=0")
            if arguments.profile:
                count = profile_request.users_needed(arguments.profile)
                users = users_create(environment, count)
                tokens_path = Path(var_dir) / "lease-tokens.txt"
                tokens_path.write_text("".join(f"{u.token}\n" for u in users[1:]))
                module_run(
                    environment,
                    "bench.leases.profile_request",
                    f"--token={users[0].token}",
                    f"--lease-tokens={tokens_path}",
                    f"--requests={arguments.profile}",
                )
                return 0
            # One spare user at the end takes the sample lease.
            slots = len(loadgen.LEASE_PHASES) * arguments.clients
            count = slots * users_per_client(arguments) + 1
            users = users_create(environment, count)
            presign = presign_measure(
                environment, calls=arguments.presign_calls, var_dir=var_dir
            )
            results = serve_and_drive(
                arguments,
                environment,
                users=users,
                s3=s3,
                log_path=Path(var_dir) / "gunicorn.log",
            )
    finally:
        harness.database_recreate(arguments.admin_url, arguments.database, create=False)
        s3.close()
    server_config = {
        **harness.server_description(arguments),
        "storage": "s3 (loopback endpoint, never contacted)",
        "s3_connections_seen": s3.connections,
    }
    summary = report.verdict(results, headline=loadgen.HEADLINE)
    autosave_report.report(results, {}, server_config)
    report.report(results, summary, presign)
    print(
        f"connections to the loopback S3 during the run: {s3.connections}"
        + ("" if s3.connections == 0 else "  <- something in the lease path called S3")
    )
    RESULTS_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_PATH.write_text(
        json.dumps(
            {
                "server": server_config,
                **summary,
                "presign": presign,
                "results": results,
            },
            indent=2,
        )
    )
    print(f"results: {RESULTS_PATH.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
