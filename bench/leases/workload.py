"""What lease clients do: ask for upload leases back to back, as many people at once.

The server keeps poster's default limit of 50 unfinished leases per user, so every
lease pays for the real check: it locks its owner's limit and counts up to 50
pending rows. Each client therefore works through users of its own (a `LeaseSlot`),
taking 50 leases as each, the last ones at the limit's edge, before moving on to the
next on a new connection. After each slice the leases issued (201s seen) are
compared with the MediaAsset rows each owner has: a difference is a lost write.
"""

import asyncio
import functools
import json
import random
from dataclasses import dataclass

import psycopg

from bench.harness.loadgen import Connection, Phase, Recorder, Response

MEDIA_PATH = "/api/v1/media/"
MIN_SIZE_BYTES, MAX_SIZE_BYTES = 20_000, 8_000_000
LEASES_PER_USER = 50  # poster's default MEDIA_MAX_PENDING, which run.py sets


def users_create(count: int) -> list[tuple[int, str]]:
    """`count` users `bench-lease-0`, ... with API tokens: their (id, token).

    Runs in the server's Django (`manage.py shell`, or the profile)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX

    from core.tokens import api_token_issue

    user_model = get_user_model()
    users = user_model.objects.bulk_create(
        [
            user_model(username=f"bench-lease-{n}", password=UNUSABLE_PASSWORD_PREFIX)
            for n in range(count)
        ]
    )
    return [(user.pk, api_token_issue(user=user).key) for user in users]


@dataclass
class LeaseSlot:
    """One lease client's users, taken in turn; resumes where the last slice ended."""

    users: list[tuple[int, str]]
    index: int = 0
    issued_to_current: int = 0

    @property
    def user(self) -> tuple[int, str]:
        if self.index >= len(self.users):
            raise RuntimeError("a client used up its users: see MAX_LEASES_PER_SECOND")
        return self.users[self.index]


def lease_payload(
    chooser: random.Random, number: int, *, with_sha256: bool = False
) -> dict:
    """With a SHA-256 the instruction is a presigned PUT, without a POST policy."""
    payload = {
        "filename": f"IMG_{number:06d}.jpg",
        "content_type": "image/jpeg",
        "size_bytes": chooser.randint(MIN_SIZE_BYTES, MAX_SIZE_BYTES),
    }
    if with_sha256:
        payload["sha256"] = chooser.randbytes(32).hex()
    return payload


def outcome(response: Response) -> str:
    if response.status != 201:
        return f"http {response.status}"
    return "PUT" if b'"method":"PUT"' in response.body else "POST"


class Leases:
    """The server's media API, as any user; counts the 201s each user got."""

    def __init__(self, target) -> None:
        self.target = target  # server.Server, or profile.InProcess
        self.issued: dict[int, int] = {}  # user id -> 201s seen, over the whole run

    def connect(self, user: tuple[int, str]) -> Connection:
        return self.target.connect(user[1])

    async def lease_once(self, user: tuple[int, str]) -> dict:
        """One lease outside any phase, to show what clients get back."""
        connection, payload = self.connect(user), lease_payload(random.Random(0), 0)
        body = json.dumps(payload).encode()
        response = await connection.request("POST", MEDIA_PATH, body=body)
        await connection.close()
        if response.status != 201:
            raise RuntimeError(f"lease: {response.status} {response.body[:300]!r}")
        self.issued[user[0]] = self.issued.get(user[0], 0) + 1
        return json.loads(response.body)

    async def client(
        self, recorder: Recorder, slot: LeaseSlot, seed: int, *, with_sha256: bool
    ) -> None:
        """Leases back to back, 50 as each of `slot`'s users in turn."""
        chooser, number, connection = random.Random(seed), 0, self.connect(slot.user)
        async for _ in recorder.ticks(None, seed):
            number += 1
            payload = lease_payload(chooser, number, with_sha256=with_sha256)
            request = ("POST", MEDIA_PATH, payload)
            response = await recorder.timed(connection, request, outcome)
            if response is None or response.status != 201:
                continue
            self.issued[slot.user[0]] = self.issued.get(slot.user[0], 0) + 1
            slot.issued_to_current += 1
            if slot.issued_to_current >= LEASES_PER_USER:
                slot.index, slot.issued_to_current = slot.index + 1, 0
                await connection.close()
                connection = self.connect(slot.user)
        await connection.close()

    async def mismatches(self, slots: list[LeaseSlot]) -> int:
        """|MediaAsset rows - 201s seen| summed over the slots' users."""
        owners = {user[0] for slot in slots for user in slot.users} & set(self.issued)
        stored = dict(await asyncio.to_thread(self._asset_counts, sorted(owners)))
        return sum(abs(stored.get(owner, 0) - self.issued[owner]) for owner in owners)

    def _asset_counts(self, owners: list[int]) -> list[tuple[int, int]]:
        with psycopg.connect(self.target.environment["DATABASE_URL"]) as connection:
            return connection.execute(
                "SELECT owner_id, count(*) FROM media_uploads_mediaasset "
                "WHERE owner_id = ANY(%s) GROUP BY owner_id",
                [owners],
            ).fetchall()

    def phase(self, slots: list[LeaseSlot], *, with_sha256: bool) -> Phase:
        return Phase(
            lambda recorder: [
                self.client(recorder, slot, seed, with_sha256=with_sha256)
                for seed, slot in enumerate(slots)
            ],
            functools.partial(self.mismatches, slots),
        )
