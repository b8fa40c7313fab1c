"""What lease clients do: ask for upload leases back to back, as many people at once.

poster's default limit of 50 unfinished leases per user stays, so each client works
through users of its own, taken from the phase's pool, 50 leases as each. A lost
write is a difference between the 201s seen and the MediaAsset rows of an owner.
"""

import asyncio
import functools
import random
from collections import Counter
from collections.abc import Iterator

import psycopg

from bench.harness.loadgen import Phase, Recorder, Response, request_json

MEDIA_PATH = "/api/v1/media/"
MIN_SIZE_BYTES, MAX_SIZE_BYTES = 20_000, 8_000_000
LEASES_PER_USER = 50  # poster's default MEDIA_MAX_PENDING, which run.py sets


def users_create(count: int) -> list[tuple[int, str]]:
    """`count` users `bench-lease-0`, ... with API tokens: their (id, token). Runs in
    the server's Django (`manage.py shell`, or the profile)."""
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
    """The server's media API as any user (target: server.Server, or
    profile.InProcess); counts the 201s each user got over the whole run."""

    def __init__(self, target) -> None:
        self.target, self.issued = target, Counter()

    async def lease_once(self, user: tuple[int, str]) -> dict:
        """One lease outside any phase, to show what clients get back."""
        connection = self.target.connect(user[1])
        payload = lease_payload(random.Random(0), 0)
        lease = await request_json(connection, "POST", MEDIA_PATH, payload, expect=201)
        await connection.close()
        self.issued[user[0]] += 1
        return lease

    async def client(
        self, recorder: Recorder, pool: Iterator, seed: int, *, with_sha256: bool
    ) -> None:
        """Leases back to back, 50 as each user it takes from the phase's `pool`."""
        chooser, number, user = random.Random(seed), 0, _take(pool)
        connection = self.target.connect(user[1])
        async for _ in recorder.ticks(None, seed):
            number += 1
            payload = lease_payload(chooser, number, with_sha256=with_sha256)
            request = ("POST", MEDIA_PATH, payload)
            response = await recorder.timed(connection, request, outcome)
            if response is None or response.status != 201:
                continue
            self.issued[user[0]] += 1
            if self.issued[user[0]] >= LEASES_PER_USER:
                user = _take(pool)
                await connection.close()
                connection = self.target.connect(user[1])
        await connection.close()

    async def mismatches(self, users: list[tuple[int, str]]) -> int:
        """|MediaAsset rows - 201s seen| summed over `users`."""
        owners = {user[0] for user in users} & set(self.issued)
        stored = dict(await asyncio.to_thread(self._asset_counts, sorted(owners)))
        return sum(abs(stored.get(owner, 0) - self.issued[owner]) for owner in owners)

    def _asset_counts(self, owners: list[int]) -> list[tuple[int, int]]:
        with psycopg.connect(self.target.environment["DATABASE_URL"]) as connection:
            return connection.execute(
                "SELECT owner_id, count(*) FROM media_uploads_mediaasset "
                "WHERE owner_id = ANY(%s) GROUP BY owner_id",
                [owners],
            ).fetchall()

    def phase(self, users: list, clients: int, *, with_sha256: bool) -> Phase:
        """`clients` clients sharing one pool of `users`: however unevenly gunicorn
        serves them, a client only runs out when the whole phase does."""
        pool = iter(users)
        return Phase(
            lambda recorder: [
                self.client(recorder, pool, seed, with_sha256=with_sha256)
                for seed in range(clients)
            ],
            functools.partial(self.mismatches, users),
        )


def _take(pool: Iterator) -> tuple[int, str]:
    if (user := next(pool, None)) is None:
        raise RuntimeError("a phase used up its users: see MAX_LEASES_PER_SECOND")
    return user
