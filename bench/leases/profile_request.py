"""Profile lease requests (and the baseline) in-process, through poster's WSGI app.

Run by `run.py --profile N` in the benchmark's server environment, or by hand with it:

    python -m bench.leases.profile_request --token KEY --lease-tokens FILE \
        [--requests 2000]

The baseline runs as `--token`'s user; leases rotate through the users whose tokens
FILE lists, one a line, 50 leases each (poster's default limit of pending leases).

Uses autosave's WSGI call and profile table (bench/autosave/profile_request.py).
Prints for each kind the mean wall and CPU time per request and its SQL; then, per
kind, cProfile's top functions by own and cumulative time, and poster's own
functions (media_uploads/, config/, ...) by cumulative time, which is where a change
in poster's code would pay. psycopg's `wait` is waiting for PostgreSQL, not CPU.
"""

import argparse
import cProfile
import functools
import json
import pstats
import random
from collections.abc import Callable

import django

from bench.autosave.profile_request import (
    REPO_ROOT,
    measure_kinds,
    short_location,
    wsgi_call,
)
from bench.leases.loadgen import LEASES_PER_USER

REQUEST_KINDS = ("baseline", "lease", "lease_put")
WARMUP_REQUESTS = 200


def users_needed(requests: int) -> int:
    """Users enough for every lease this profile sends, 50 each."""
    leases = (WARMUP_REQUESTS + 1 + 2 * requests) * (len(REQUEST_KINDS) - 1)
    return -(-leases // LEASES_PER_USER)


POSTER_PACKAGES = ("config/", "media_uploads/", "drafts/", "poster/")


def print_poster_functions(kind: str, profiler: cProfile.Profile, *, requests: int):
    """poster's own functions by cumulative time, in microseconds per request."""
    rows = [
        (cumulative, calls, short_location(*location))
        for location, (_, calls, _own, cumulative, _) in (
            pstats.Stats(profiler).stats.items()
        )
        if location[0].startswith(str(REPO_ROOT) + "/")
        and location[0].removeprefix(str(REPO_ROOT) + "/").startswith(POSTER_PACKAGES)
    ]
    print(f"\n=== {kind}: poster's functions by cumulative time, us per request")
    for cumulative, calls, name in sorted(rows, reverse=True)[:15]:
        print(f"{cumulative * 1e6 / requests:>8.1f}{calls / requests:>7.1f}  {name}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--token", required=True)
    parser.add_argument("--lease-tokens", required=True, type=argparse.FileType())
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--top", type=int, default=25)
    arguments = parser.parse_args()
    django.setup()
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    auth = {"Authorization": f"Token {arguments.token}"}
    status, created = wsgi_call(
        application,
        "POST",
        "/api/v1/drafts/",
        json.dumps({"title": "profile", "body": "x" * 2048}).encode(),
        auth,
    )
    assert status == 201, created
    draft_id = json.loads(created)["id"]
    chooser = random.Random(7)
    lease_auths = (
        {"Authorization": f"Token {token.strip()}"}
        for token in arguments.lease_tokens
        for _ in range(LEASES_PER_USER)
    )

    def request(kind: str) -> Callable[[], None]:
        def one() -> None:
            if kind == "baseline":
                body = {"body": "x" * chooser.randint(2048, 4096)}
                path, expected = f"/bench/baseline/{draft_id}/", 200
            else:
                body = {
                    "filename": "IMG_0001.jpg",
                    "content_type": "image/jpeg",
                    "size_bytes": chooser.randint(20_000, 8_000_000),
                }
                if kind == "lease_put":
                    body["sha256"] = chooser.randbytes(32).hex()
                path, expected = "/api/v1/media/", 201
            headers = auth if kind == "baseline" else next(lease_auths)
            status, payload = wsgi_call(
                application, "POST", path, json.dumps(body).encode(), headers
            )
            assert status == expected, (status, payload[:300])

        return one

    measure_kinds(
        {kind: request(kind) for kind in REQUEST_KINDS},
        requests=arguments.requests,
        top=arguments.top,
        warmup=WARMUP_REQUESTS,
        after_profile=functools.partial(
            print_poster_functions, requests=arguments.requests
        ),
    )


if __name__ == "__main__":
    main()
