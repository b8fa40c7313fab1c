"""The whole upload flow over HTTP, as a client sees it, on local disk and on S3."""

import hashlib

import pytest
import requests

from core.accounts import api_user_ensure
from media_uploads.models import MediaAsset
from tests.storage import queued_process_image_ids, upload_by_instruction

PHOTO = b"\xff\xd8\xff\xe0" + b"photo bytes " * 500


@pytest.fixture(params=["local", "moto"])
def flow_storage(request):
    return request.getfixturevalue(f"{request.param}_storage")


@pytest.fixture
def http(live_server, transactional_db):
    session = requests.Session()
    token = api_user_ensure(username="flow").token
    session.headers["Authorization"] = f"Token {token}"
    session.base_url = live_server.url
    return session


@pytest.mark.parametrize("with_sha256", [False, True])
def test_lease_upload_and_complete_over_http(
    flow_storage, http, media_queue, with_sha256
):
    declared = {"filename": "IMG_0001.JPG", "content_type": "image/jpeg"}
    declared["size_bytes"] = len(PHOTO)
    if with_sha256:
        declared["sha256"] = hashlib.sha256(PHOTO).hexdigest()

    lease = http.post(f"{http.base_url}/api/v1/media/", json=declared)
    uploaded = upload_by_instruction(lease.json()["upload"], PHOTO)
    asset_id = lease.json()["id"]
    complete = http.post(f"{http.base_url}/api/v1/media/{asset_id}/complete/")
    again = http.post(f"{http.base_url}/api/v1/media/{asset_id}/complete/")
    shown = http.get(f"{http.base_url}/api/v1/media/{asset_id}/")

    assert lease.status_code == 201
    assert lease.json()["status"] == "awaiting_upload"
    assert lease.json()["upload"]["method"] == ("PUT" if with_sha256 else "POST")
    assert lease.json()["upload"]["url"].startswith("http")
    assert uploaded.status_code in (200, 204), uploaded.text
    assert (complete.status_code, again.status_code) == (202, 202)
    assert complete.json()["status"] == again.json()["status"] == "uploaded"
    assert shown.json()["status"] == "uploaded"
    assert queued_process_image_ids(media_queue) == [asset_id]
    asset = MediaAsset.objects.get(id=asset_id)
    assert asset.original_key == f"uploads/{asset.owner_id}/{asset_id}"
    assert flow_storage.head(asset.original_key).size_bytes == len(PHOTO)
