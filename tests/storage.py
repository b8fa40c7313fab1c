"""Storage fixtures: local disk behind a live server, moto, and LocalStack.

moto's S3 server is fast and fine for flows, but it does not enforce presigned
policies or checksums; the upload-contract suite runs against LocalStack, which
`make test` starts (scripts/localstack.sh) and names in LOCALSTACK_ENDPOINT.
"""

import base64
import json
import os
import socket
import uuid

import pytest
import redis
import requests
from django.conf import settings as django_settings
from moto.server import ThreadedMotoServer

from media_uploads.storage import get_storage

S3_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def localstack_endpoint():
    endpoint = os.environ.get("LOCALSTACK_ENDPOINT")
    if not endpoint:
        if os.environ.get("CI"):
            pytest.fail("LOCALSTACK_ENDPOINT is not set; make test starts LocalStack")
        pytest.skip("LocalStack is not running (make test starts it)")
    requests.get(f"{endpoint}/_localstack/health", timeout=5).raise_for_status()
    return endpoint


def use_s3(settings, endpoint: str) -> str:
    bucket = f"poster-{uuid.uuid4().hex[:12]}"
    settings.STORAGE_BACKEND = "s3"
    settings.S3_ENDPOINT_URL = endpoint
    settings.S3_BUCKET = bucket
    settings.S3_REGION = "us-east-1"
    settings.AWS_ACCESS_KEY_ID = S3_CREDENTIALS["AWS_ACCESS_KEY_ID"]
    settings.AWS_SECRET_ACCESS_KEY = S3_CREDENTIALS["AWS_SECRET_ACCESS_KEY"]
    get_storage.cache_clear()
    get_storage().client.create_bucket(Bucket=bucket)
    return bucket


@pytest.fixture
def local_storage(settings, tmp_path):
    settings.STORAGE_BACKEND = "local"
    settings.LOCAL_STORAGE_ROOT = tmp_path / "media"
    get_storage.cache_clear()
    yield get_storage()
    get_storage.cache_clear()


@pytest.fixture
def moto_storage(settings, moto_endpoint):
    use_s3(settings, moto_endpoint)
    yield get_storage()
    get_storage.cache_clear()


@pytest.fixture
def localstack_storage(settings, localstack_endpoint):
    use_s3(settings, localstack_endpoint)
    yield get_storage()
    get_storage.cache_clear()


# kombu's Redis transport keeps one list per priority step: "media" for 0, then
# "media\x06\x163" and so on.
MEDIA_QUEUE_LISTS = ("media", *(f"media\x06\x16{step}" for step in (3, 6, 9)))


@pytest.fixture
def media_queue():
    """The Redis lists behind the `media` queue, emptied before the test."""
    client = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
    client.delete(*MEDIA_QUEUE_LISTS)
    yield client
    client.delete(*MEDIA_QUEUE_LISTS)


def queued_process_image_ids(
    media_queue, names: tuple[str, ...] = MEDIA_QUEUE_LISTS
) -> list[str]:
    """Asset ids of the process_image messages waiting in the `media` queue (or in
    the lists of `names`), list by list in priority order."""
    messages = [
        json.loads(raw) for name in names for raw in media_queue.lrange(name, 0, -1)
    ]
    return [
        json.loads(base64.b64decode(message["body"]))[0][0]
        for message in messages
        if message["headers"]["task"] == "media_uploads.process_image"
    ]


def upload_by_instruction(
    upload: dict,
    data: bytes,
    *,
    fields: dict | None = None,
    headers: dict | None = None,
) -> requests.Response:
    """What a generic client does with a lease's `upload`; overrides tamper with it."""
    if upload["method"] == "POST":
        form = {**upload["fields"], **(fields or {})}
        return requests.post(
            upload["url"],
            data=form,
            files={"file": ("f", data)},
            headers=headers,
            timeout=30,
        )
    return requests.put(
        upload["url"],
        data=data,
        headers={**upload["headers"], **(headers or {})},
        timeout=30,
    )
