"""What lease clients do: ask for upload leases back to back, as many people at once.

poster's default limit of 50 unfinished leases per user stays, so each client works
through users of its own, taken from the phase's pool, 50 leases as each. A lost
write is a difference between the 201s seen and the MediaAsset rows of an owner.
`presign_measure` times presigning alone: what a lease spends on its instruction.
"""

import random
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import psycopg

from bench.harness.loadgen import Phase, Recorder, Response, request_json
from bench.harness.server import Server

MEDIA_PATH = "/api/v1/media/"
MIN_SIZE_BYTES, MAX_SIZE_BYTES = 20_000, 8_000_000
LEASES_PER_USER = 50  # poster's default MEDIA_MAX_PENDING, which run.py sets
PRESIGN_WARMUP_CALLS = 200


def users_create(count: int) -> list[tuple[int, str]]:
    """`count` users `bench-lease-0`, ... with API tokens: their (id, token). Runs in
    the server's Django (`manage.py shell`, or the profile)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX

    from core.tokens import api_token_issue

    user_model = get_user_model()
    users = user_model.objects.bulk_create(
        user_model(username=f"bench-lease-{n}", password=UNUSABLE_PASSWORD_PREFIX)
        for n in range(count)
    )
    return [(user.pk, api_token_issue(user=user).key) for user in users]


def presign_measure(calls: int) -> dict[str, dict[str, float]]:
    """Poster's `upload_instruction`, POST policy and PUT with a SHA-256, on the S3
    backend (`get_storage()`'s reused client) and the local one: wall and CPU us a
    call. Runs in the server's Django, as `users_create` does."""
    from django.conf import settings

    from media_uploads.storage import get_storage
    from media_uploads.storage.local import LocalStorage

    assert settings.STORAGE_BACKEND == "s3", "run with STORAGE_BACKEND=s3"
    results = {}
    for backend in (get_storage(), LocalStorage(root=Path(tempfile.gettempdir()))):
        for shape, sha256_hex in (("POST", None), ("PUT", "ab" * 32)):  # hex SHA-256
            options = {
                "key": f"uploads/1/{uuid.uuid4()}",
                "content_type": "image/jpeg",
                "size_bytes": 2_345_678,
                "sha256_hex": sha256_hex,
                "expires_in_seconds": 900,
            }
            for count in (min(calls, PRESIGN_WARMUP_CALLS), calls):  # warm-up, timed
                started, cpu_started = time.perf_counter(), time.process_time()
                for _ in range(count):
                    backend.upload_instruction(**options)
            results[f"{type(backend).__name__} {shape}"] = {
                "wall_us": round((time.perf_counter() - started) * 1e6 / calls, 1),
                "cpu_us": round((time.process_time() - cpu_started) * 1e6 / calls, 1),
            }
    return results


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


async def lease_once(target: Server, user: tuple[int, str]) -> dict:
    """One lease outside any phase, to show what clients get back."""
    connection = target.connect(user[1])
    payload = lease_payload(random.Random(0), 0)
    lease = await request_json(connection, "POST", MEDIA_PATH, payload, expect=201)
    await connection.close()
    return lease


def leases_phase(
    target: Server, users: list[tuple[int, str]], clients: int, *, with_sha256: bool
) -> Phase:
    """`clients` clients (on server.Server or profile.InProcess) sharing one pool of
    `users`: however unevenly gunicorn serves them, a client only runs out when the
    whole phase does. Lost writes: |MediaAsset rows - 201s seen| over the users."""
    pool, issued = iter(users), Counter()

    def take() -> tuple[int, str]:
        if (user := next(pool, None)) is None:
            raise RuntimeError("a phase used up its users: see MAX_LEASES_PER_SECOND")
        return user

    async def client(recorder: Recorder, seed: int) -> None:
        """Leases back to back, 50 as each user it takes from the pool."""
        chooser, number, user = random.Random(seed), 0, take()
        connection = target.connect(user[1])
        async for _ in recorder.ticks(None, seed):
            number += 1
            payload = lease_payload(chooser, number, with_sha256=with_sha256)
            request = ("POST", MEDIA_PATH, payload)
            response = await recorder.timed(connection, request, outcome)
            if response is None or response.status != 201:
                continue
            issued[user[0]] += 1
            if issued[user[0]] >= LEASES_PER_USER:
                user = take()
                await connection.close()
                connection = target.connect(user[1])
        await connection.close()

    async def mismatches() -> int:
        owners = sorted(issued)
        url = target.environment["DATABASE_URL"]
        async with await psycopg.AsyncConnection.connect(url) as connection:
            cursor = await connection.execute(
                "SELECT owner_id, count(*) FROM media_uploads_mediaasset "
                "WHERE owner_id = ANY(%s) GROUP BY owner_id",
                [owners],
            )
            stored = dict(await cursor.fetchall())
        return sum(abs(stored.get(owner, 0) - issued[owner]) for owner in owners)

    return Phase(
        lambda recorder: [client(recorder, seed) for seed in range(clients)], mismatches
    )
