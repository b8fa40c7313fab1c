"""Time presigning alone, in-process: what one lease spends on its upload instruction.

Run by run.py in the benchmark's server environment (STORAGE_BACKEND=s3 with a
loopback endpoint nothing listens behind, keys "test"/"test"), or by hand with it:

    python -m bench.leases.presign [--calls 5000] [--json PATH]

Times, each over `--calls` calls after a warm-up, with one client reused as poster
does through `get_storage()`: boto3's `generate_presigned_post` and
`generate_presigned_url("put_object")` called as poster calls them, poster's
`S3Storage.upload_instruction` for both shapes (POST policy, and PUT with a SHA-256),
and the local backend's signed-token instruction for both shapes. Each figure is wall
and CPU microseconds per call; CPU is the steadier one on a shared machine. None of
this touches the network: presigning is local computation.
"""

import argparse
import hashlib
import json
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import django

WARMUP_CALLS = 200
CLIENT_CREATIONS = 5
CONTENT_TYPE = "image/jpeg"
SIZE_BYTES = 2_345_678
EXPIRES_IN_SECONDS = 900


def per_call(function: Callable[[], object], calls: int) -> dict[str, float]:
    """Mean wall and CPU microseconds of one call, after a warm-up."""
    for _ in range(min(calls, WARMUP_CALLS)):
        function()
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(calls):
        function()
    return {
        "wall_us": round((time.perf_counter() - started) * 1e6 / calls, 1),
        "cpu_us": round((time.process_time() - cpu_started) * 1e6 / calls, 1),
        "calls": calls,
    }


def client_creation_ms() -> dict[str, float]:
    """What `get_storage()` saves by building the client once per process."""
    from media_uploads.storage.s3 import S3Storage

    timings = []
    for _ in range(CLIENT_CREATIONS):
        started = time.perf_counter()
        S3Storage.from_settings()
        timings.append((time.perf_counter() - started) * 1000)
    return {"first_ms": round(timings[0], 1), "later_ms": round(min(timings[1:]), 1)}


def measure(calls: int) -> dict[str, dict[str, float]]:
    from django.conf import settings

    from media_uploads.storage import get_storage
    from media_uploads.storage.base import sha256_base64
    from media_uploads.storage.local import LocalStorage

    assert settings.STORAGE_BACKEND == "s3", "run with STORAGE_BACKEND=s3"
    creation = client_creation_ms()
    storage = get_storage()
    client, bucket = storage.client, storage.bucket
    key = f"uploads/1/{uuid.uuid4()}"
    sha256_hex = hashlib.sha256(b"bench").hexdigest()
    checksum = sha256_base64(sha256_hex)
    local = LocalStorage(root=Path(tempfile.gettempdir()))

    def boto3_post() -> object:
        return client.generate_presigned_post(
            Bucket=bucket,
            Key=key,
            Fields={"Content-Type": CONTENT_TYPE},
            Conditions=[
                {"key": key},
                {"Content-Type": CONTENT_TYPE},
                ["content-length-range", SIZE_BYTES, SIZE_BYTES],
            ],
            ExpiresIn=EXPIRES_IN_SECONDS,
        )

    def boto3_put() -> object:
        return client.generate_presigned_url(
            "put_object",
            Params={
                "Bucket": bucket,
                "Key": key,
                "ContentType": CONTENT_TYPE,
                "ContentLength": SIZE_BYTES,
                "ChecksumSHA256": checksum,
            },
            ExpiresIn=EXPIRES_IN_SECONDS,
        )

    def instruction(backend: object, sha256: str | None) -> Callable[[], object]:
        return lambda: backend.upload_instruction(
            key=key,
            content_type=CONTENT_TYPE,
            size_bytes=SIZE_BYTES,
            sha256_hex=sha256,
            expires_in_seconds=EXPIRES_IN_SECONDS,
        )

    return {
        "boto3 generate_presigned_post": per_call(boto3_post, calls),
        "boto3 generate_presigned_url put": per_call(boto3_put, calls),
        "S3Storage.upload_instruction POST": per_call(
            instruction(storage, None), calls
        ),
        "S3Storage.upload_instruction PUT": per_call(
            instruction(storage, sha256_hex), calls
        ),
        "LocalStorage.upload_instruction POST": per_call(
            instruction(local, None), calls
        ),
        "LocalStorage.upload_instruction PUT": per_call(
            instruction(local, sha256_hex), calls
        ),
        "S3 client creation (ms)": creation,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--json", type=Path, help="write the figures here, not out")
    arguments = parser.parse_args()
    django.setup()
    results = measure(arguments.calls)
    if arguments.json:
        arguments.json.write_text(json.dumps(results, indent=2))
        return
    for name, figures in results.items():
        if "cpu_us" in figures:
            print(
                f"  {name:<38}{figures['wall_us']:>8.1f} us wall"
                f"{figures['cpu_us']:>8.1f} us CPU"
            )
        else:
            print(
                f"  {name:<38}{figures['first_ms']:>8.1f} ms first"
                f"{figures['later_ms']:>7.1f} ms later"
            )


if __name__ == "__main__":
    main()
