"""Lease clients and the phases that drive them, on autosave's load-generator parts.

Phases, against one gunicorn, interleaved in rounds with the baseline so that load
from anything else on the machine falls on all of them alike:

- baseline: autosave's plain Django UPDATE view (`bench.autosave.clients`), as the
  bench user, on drafts of its own.
- leases: `POST /api/v1/media/` without a checksum (a presigned POST policy).
- lease_put: the same with a `sha256`, so the instruction is a presigned PUT.

The server keeps poster's default limit of 50 unfinished leases per user, so every
lease pays for the real check: it locks its owner's limit and counts up to 50 pending
rows. Each client therefore works through users of its own, taking 50 leases as each
(the last ones at the limit's edge) before moving to the next on a new connection,
as many people uploading at once would. Every client is a closed loop with no think
time. After each slice the leases issued (201s seen by clients) are compared with
the MediaAsset rows each owner has: a difference counts as "lost" in the table, like
autosave's lost writes.
"""

import asyncio
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg

from bench.autosave import clients
from bench.autosave.http_client import Connection, Response
from bench.autosave.loadgen import Slice, combine, run_slice
from bench.autosave.workload import CpuMeter, Draft, Recorder

MEDIA_PATH = "/api/v1/media/"
# The phases that lease, each with users of its own.
LEASE_PHASES = ("leases", "lease_put")
PHASES = ("baseline", *LEASE_PHASES)
HEADLINE = "leases"
MIN_SIZE_BYTES, MAX_SIZE_BYTES = 20_000, 8_000_000
# poster's default MEDIA_MAX_PENDING, which run.py gives the server.
LEASES_PER_USER = 50


@dataclass(frozen=True)
class ApiUser:
    id: int
    token: str


@dataclass
class LeaseSlot:
    """One lease client's users, taken in turn; it resumes where the last slice ended.

    `run_slice` hands it to the client in place of a draft.
    """

    users: list[ApiUser]
    user_index: int = 0
    issued_to_current: int = 0

    def current_user(self) -> ApiUser:
        if self.user_index >= len(self.users):
            raise RuntimeError(
                "a lease client used up its users: raise run.py's MAX_LEASES_PER_SECOND"
            )
        return self.users[self.user_index]

    def record_lease(self) -> bool:
        """Count a 201; whether the current user has had its share."""
        self.issued_to_current += 1
        return self.issued_to_current >= LEASES_PER_USER

    def next_user(self) -> None:
        self.user_index, self.issued_to_current = self.user_index + 1, 0


class LeaseBench(clients.Bench):
    """autosave's `Bench`, plus lease requests as any user and a check of their rows."""

    def __init__(self, *, port: int, token: str, database_url: str) -> None:
        super().__init__(port=port, token=token)
        self.database_url = database_url
        self.issued: dict[int, int] = {}  # user id -> 201s seen, over the whole run

    def connect_as(self, user: ApiUser) -> Connection:
        headers = {**self.headers, "Authorization": f"Token {user.token}"}
        return Connection("127.0.0.1", self.port, default_headers=headers)

    def count_issued(self, user: ApiUser) -> None:
        self.issued[user.id] = self.issued.get(user.id, 0) + 1

    async def mismatches(self, drafts: list) -> int:
        """Drafts as autosave checks them; for lease slots, rows against 201s."""
        if not drafts or isinstance(drafts[0], Draft):
            return await super().mismatches(drafts)
        owners = sorted(
            {user.id for slot in drafts for user in slot.users} & set(self.issued)
        )
        stored = await asyncio.to_thread(self._asset_counts, owners)
        return sum(abs(stored.get(owner, 0) - self.issued[owner]) for owner in owners)

    def _asset_counts(self, owners: list[int]) -> dict[int, int]:
        with psycopg.connect(self.database_url) as connection:
            rows = connection.execute(
                "SELECT owner_id, count(*) FROM media_uploads_mediaasset "
                "WHERE owner_id = ANY(%s) GROUP BY owner_id",
                [owners],
            ).fetchall()
        return dict(rows)


def lease_payload(chooser: random.Random, number: int, *, with_sha256: bool) -> dict:
    payload = {
        "filename": f"IMG_{number:06d}.jpg",
        "content_type": "image/jpeg",
        "size_bytes": chooser.randint(MIN_SIZE_BYTES, MAX_SIZE_BYTES),
    }
    if with_sha256:
        payload["sha256"] = chooser.randbytes(32).hex()
    return payload


def lease_outcome(response: Response) -> str:
    if response.status != 201:
        return f"http {response.status}"
    return "PUT" if b'"method":"PUT"' in response.body else "POST"


async def lease_client(
    bench: LeaseBench,
    recorder: Recorder,
    slot: LeaseSlot,
    seed: int,
    *,
    with_sha256: bool,
) -> None:
    """Ask for leases back to back, 50 as each of `slot`'s users in turn."""
    chooser, number = random.Random(seed), 0
    connection = bench.connect_as(slot.current_user())
    while recorder.is_running():
        number += 1
        payload = lease_payload(chooser, number, with_sha256=with_sha256)
        response = await bench.timed(
            recorder, connection, ("POST", MEDIA_PATH, payload), lease_outcome
        )
        if response is None or response.status != 201:
            continue
        bench.count_issued(slot.current_user())
        if slot.record_lease():
            slot.next_user()
            await connection.close()
            connection = bench.connect_as(slot.current_user())
    await connection.close()


async def lease_once(bench: LeaseBench, user: ApiUser) -> dict:
    """One lease outside any phase, to show what the clients get back."""
    connection = bench.connect_as(user)
    payload = lease_payload(random.Random(0), 0, with_sha256=False)
    response = await connection.request(
        "POST", MEDIA_PATH, body=json.dumps(payload).encode()
    )
    await connection.close()
    if response.status != 201:
        raise RuntimeError(f"lease: {response.status} {response.body[:300]!r}")
    bench.count_issued(user)
    return json.loads(response.body)


@dataclass
class Phase:
    client: Callable
    slots: list = field(default_factory=list)


async def drive(
    *,
    bench: LeaseBench,
    slots: dict[str, list[LeaseSlot]],
    server_pid: int,
    database: str,
    client_count: int,
    phases: list[str],
    rounds: int,
    warmup: float,
    seconds: float,
    before_slice: Callable[[], None],
) -> dict:
    """Run `phases` once per round, in order, and return each one's figures.

    `slots` holds each lease phase's clients (users of its own). Each slice gets
    `warmup / rounds` unrecorded and `seconds / rounds` recorded seconds;
    `before_slice` runs, in a thread, before every slice.
    """

    def leasing(*, with_sha256: bool) -> Callable:
        async def client(bench, recorder, slot, seed) -> None:
            await lease_client(bench, recorder, slot, seed, with_sha256=with_sha256)

        return client

    plan = {
        "baseline": Phase(clients.baseline_client),
        "leases": Phase(leasing(with_sha256=False), slots["leases"]),
        "lease_put": Phase(leasing(with_sha256=True), slots["lease_put"]),
    }
    if "baseline" in phases:
        plan["baseline"].slots = await bench.create_drafts(client_count, seed=10_000)
    slices: dict[str, list[Slice]] = {name: [] for name in phases}
    for round_number in range(1, rounds + 1):
        for name in phases:
            await asyncio.to_thread(before_slice)
            label = f" round {round_number}/{rounds}" if rounds > 1 else ""
            print(
                f"{name}{label}: {warmup / rounds:g} s warm-up, {seconds / rounds:g} s",
                flush=True,
            )
            slices[name].append(
                await run_slice(
                    bench,
                    plan[name].client,
                    plan[name].slots,
                    clients_per_draft=1,
                    warmup=warmup / rounds,
                    seconds=seconds / rounds,
                    cpu=CpuMeter(server_pid=server_pid, database=database),
                )
            )
    return {name: combine(slices[name]) for name in phases}
