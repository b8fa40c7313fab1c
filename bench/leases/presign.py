"""Time presigning alone, in-process: what one lease spends on its upload instruction.

Poster's `upload_instruction`, POST policy and PUT with a SHA-256, on the S3 backend
(`get_storage()`'s reused client) and the local one: wall and CPU us a call.
"""

import hashlib
import tempfile
import time
import uuid
from pathlib import Path

WARMUP_CALLS = 200


def measure(calls: int) -> dict[str, dict[str, float]]:
    from django.conf import settings

    from media_uploads.storage import get_storage
    from media_uploads.storage.local import LocalStorage

    assert settings.STORAGE_BACKEND == "s3", "run with STORAGE_BACKEND=s3"
    backends = {
        "S3Storage": get_storage(),
        "LocalStorage": LocalStorage(root=Path(tempfile.gettempdir())),
    }
    shapes = {"POST": None, "PUT": hashlib.sha256(b"bench").hexdigest()}
    results = {}
    for backend_name, backend in backends.items():
        for shape, sha256_hex in shapes.items():
            options = {
                "key": f"uploads/1/{uuid.uuid4()}",
                "content_type": "image/jpeg",
                "size_bytes": 2_345_678,
                "sha256_hex": sha256_hex,
                "expires_in_seconds": 900,
            }
            for _ in range(min(calls, WARMUP_CALLS)):
                backend.upload_instruction(**options)
            started, cpu_started = time.perf_counter(), time.process_time()
            for _ in range(calls):
                backend.upload_instruction(**options)
            results[f"{backend_name} {shape}"] = {
                "wall_us": round((time.perf_counter() - started) * 1e6 / calls, 1),
                "cpu_us": round((time.process_time() - cpu_started) * 1e6 / calls, 1),
            }
    return results
