"""Storage itself rejects every upload that breaks its lease, on both backends.

The S3 side runs against LocalStack (it enforces presigned policies and checksums;
moto does not); the local side against poster's own upload endpoint over HTTP.
"""

import hashlib
import time
import uuid

import pytest

from media_uploads.services import media_lease_create
from tests.storage import upload_by_instruction

JPEG_LIKE_BYTES = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8
# S3 signs a presigned PUT's Content-Type and Content-Length, so it answers a changed
# one as a bad signature (403), and bytes of the signed length that fail the checksum
# as a bad digest (400). The local endpoint names a wrong length for what it is
# (400 entity_too_large / entity_too_small).
CHECKSUM_LEASE_REJECTION = {
    "localstack": {
        "altered_bytes": 400,
        "one_byte_more": 403,
        "one_byte_less": 403,
        "another_content_type": 403,
    },
    "local": {
        "altered_bytes": 400,
        "one_byte_more": 400,
        "one_byte_less": 400,
        "another_content_type": 403,
    },
}


@pytest.fixture(params=["local", "localstack"])
def backend(request, live_server):
    if request.param == "local":
        return request.getfixturevalue("local_storage"), live_server.url
    return request.getfixturevalue("localstack_storage"), ""


def assert_nothing_stored(storage, asset) -> None:
    assert storage.head(asset.original_key) is None
    if hasattr(storage, "root"):  # local disk: no partial file left behind either
        assert list((storage.root / ".tmp").iterdir()) == []


def leased_upload(backend, user, data: bytes, *, with_sha256: bool = False):
    storage, base_url = backend
    lease = media_lease_create(
        owner=user,
        filename="photo.jpg",
        content_type="image/jpeg",
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest() if with_sha256 else None,
    )
    upload = lease.upload.as_dict()
    if upload["url"].startswith("/"):
        upload["url"] = base_url + upload["url"]
    return lease.asset, upload


def test_declared_bytes_are_accepted(backend, user):
    storage, _ = backend
    asset, upload = leased_upload(backend, user, JPEG_LIKE_BYTES)

    response = upload_by_instruction(upload, JPEG_LIKE_BYTES)

    assert upload["method"] == "POST"
    assert response.status_code in (200, 201, 204), response.text
    stored = storage.head(asset.original_key)
    assert (stored.size_bytes, stored.content_type) == (
        len(JPEG_LIKE_BYTES),
        "image/jpeg",
    )


@pytest.mark.parametrize(
    ("tamper", "expected_status"),
    [
        ("one_byte_more", 400),
        ("one_byte_less", 400),
        ("another_key", 403),
        ("another_content_type", 403),
    ],
)
def test_upload_breaking_its_lease_is_rejected_by_storage(
    backend, user, tamper, expected_status
):
    storage, _ = backend
    asset, upload = leased_upload(backend, user, JPEG_LIKE_BYTES)
    other_key = f"uploads/{user.pk}/{uuid.uuid4()}"
    data, fields = JPEG_LIKE_BYTES, {}
    if tamper == "one_byte_more":
        data = JPEG_LIKE_BYTES + b"x"
    elif tamper == "one_byte_less":
        data = JPEG_LIKE_BYTES[:-1]
    elif tamper == "another_key":
        fields = {"key": other_key}
    else:
        fields = {"Content-Type": "text/html"}

    response = upload_by_instruction(upload, data, fields=fields)

    assert response.status_code == expected_status, response.text
    assert_nothing_stored(storage, asset)
    assert storage.head(other_key) is None


def test_expired_lease_is_rejected_by_storage(backend, user, settings):
    storage, _ = backend
    settings.MEDIA_LEASE_SECONDS = 1
    asset, upload = leased_upload(backend, user, JPEG_LIKE_BYTES)
    time.sleep(2.5)

    response = upload_by_instruction(upload, JPEG_LIKE_BYTES)

    assert response.status_code == 403, response.text
    assert storage.head(asset.original_key) is None


def test_checksum_lease_accepts_exactly_the_declared_bytes(backend, user):
    storage, _ = backend
    asset, upload = leased_upload(backend, user, JPEG_LIKE_BYTES, with_sha256=True)

    response = upload_by_instruction(upload, JPEG_LIKE_BYTES)

    assert upload["method"] == "PUT"
    assert response.status_code == 200, response.text
    assert storage.head(asset.original_key).size_bytes == len(JPEG_LIKE_BYTES)


@pytest.mark.parametrize(
    "tamper",
    ["altered_bytes", "one_byte_more", "one_byte_less", "another_content_type"],
)
def test_checksum_lease_rejects_other_bytes_or_type(request, backend, user, tamper):
    storage, _ = backend
    asset, upload = leased_upload(backend, user, JPEG_LIKE_BYTES, with_sha256=True)
    data, headers = JPEG_LIKE_BYTES, {}
    if tamper == "altered_bytes":
        data = JPEG_LIKE_BYTES[:-1] + b"\x00"
    elif tamper == "one_byte_more":
        data = JPEG_LIKE_BYTES + b"x"
    elif tamper == "one_byte_less":
        data = JPEG_LIKE_BYTES[:-1]
    else:
        headers = {"Content-Type": "image/png"}

    response = upload_by_instruction(upload, data, headers=headers)

    expected = CHECKSUM_LEASE_REJECTION[request.node.callspec.params["backend"]]
    assert response.status_code == expected[tamper], response.text
    assert_nothing_stored(storage, asset)


def test_local_endpoint_never_overwrites_a_completed_object(
    local_storage, live_server, user
):
    backend = (local_storage, live_server.url)
    asset, upload = leased_upload(backend, user, JPEG_LIKE_BYTES)
    first = upload_by_instruction(upload, JPEG_LIKE_BYTES)

    second = upload_by_instruction(upload, JPEG_LIKE_BYTES[::-1])

    assert (first.status_code, second.status_code) == (204, 409)
    assert second.json()["error"]["code"] == "object_exists"
    with (local_storage.root / asset.original_key).open("rb") as stored:
        assert stored.read() == JPEG_LIKE_BYTES


def test_local_endpoint_rejects_a_forged_token(local_storage, live_server, user):
    backend = (local_storage, live_server.url)
    asset, upload = leased_upload(backend, user, JPEG_LIKE_BYTES)
    upload["url"] = upload["url"][:-3] + "abc"

    response = upload_by_instruction(upload, JPEG_LIKE_BYTES)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "access_denied"
    assert local_storage.head(asset.original_key) is None


def test_local_endpoint_refuses_the_grant_of_a_deleted_asset(
    local_storage, live_server, user, api
):
    backend = (local_storage, live_server.url)
    asset, upload = leased_upload(backend, user, JPEG_LIKE_BYTES)
    deleted = api.delete(f"/api/v1/media/{asset.id}/")

    response = upload_by_instruction(upload, JPEG_LIKE_BYTES)

    assert deleted.status_code == 204
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "access_denied",
        "message": "The upload lease is no longer valid.",
    }
    assert_nothing_stored(local_storage, asset)
