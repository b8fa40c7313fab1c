"""What clients see of processed media, and how the local backend serves it."""

import io

import requests
from django.test import Client
from PIL import Image

from core.accounts import api_user_ensure
from media_uploads.models import MediaAsset, MediaStatus
from media_uploads.services import media_lease_create
from tests.media_uploads import image_factory
from tests.media_uploads.test_media_processing import finished, uploaded


def test_ready_media_shows_dimensions_blurhash_and_variant_urls(
    celery_worker, local_storage, live_server, tmp_path
):
    credentials = api_user_ensure(username="viewer")
    data = image_factory.encode(image_factory.marked_image((800, 600)), "PNG")
    asset = finished(
        uploaded(credentials.user, local_storage, data, "image/png", tmp_path)
    )
    headers = {"Authorization": f"Token {credentials.token}"}

    response = requests.get(
        f"{live_server.url}/api/v1/media/{asset.id}/", headers=headers, timeout=10
    )

    assert response.status_code == 200
    assert "Retry-After" not in response.headers
    body = response.json()
    assert (body["status"], body["width"], body["height"]) == ("ready", 800, 600)
    assert body["blurhash"] == asset.blurhash
    assert body["average_color"] == asset.average_color
    # An 800 px image is never upscaled: its own size takes the name "w1080".
    assert [(v["name"], v["width"]) for v in body["variants"]] == [
        ("jpeg1080", 800),
        ("w1080", 800),
        ("w640", 640),
        ("w320", 320),
        ("w160", 160),
    ]
    w640 = next(v for v in body["variants"] if v["name"] == "w640")
    assert w640["url"] == f"{live_server.url}/media/{asset.id}/w640.webp"
    served = requests.get(w640["url"], timeout=10)
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/webp"
    assert served.headers["Cache-Control"] == "public, max-age=3600"
    assert len(served.content) == w640["size_bytes"]
    with Image.open(io.BytesIO(served.content)) as image:
        assert image.size == (w640["width"], w640["height"])


def test_originals_are_never_served(
    celery_worker, local_storage, live_server, tmp_path
):
    user = api_user_ensure(username="owner").user
    data = image_factory.encode(Image.new("RGB", (50, 50)), "PNG")
    asset = finished(uploaded(user, local_storage, data, "image/png", tmp_path))

    direct = requests.get(f"{live_server.url}/{asset.original_key}", timeout=10)
    under_media = requests.get(
        f"{live_server.url}/media/{asset.original_key}", timeout=10
    )
    escaped = requests.get(
        f"{live_server.url}/media/%2e%2e/{asset.original_key}", timeout=10
    )

    assert (direct.status_code, under_media.status_code, escaped.status_code) == (
        404,
        404,
        404,
    )


def test_processing_media_carries_retry_after(api, user, local_storage):
    asset = media_lease_create(
        owner=user, filename="a.png", content_type="image/png", size_bytes=10
    ).asset
    MediaAsset.objects.filter(id=asset.id).update(status=MediaStatus.PROCESSING)

    response = api.get(f"/api/v1/media/{asset.id}/")

    assert response.status_code == 200
    assert response["Retry-After"] == "2"
    assert response.json()["variants"] == []


def test_failed_media_shows_its_code_and_message(api, user, local_storage):
    asset = media_lease_create(
        owner=user, filename="a.png", content_type="image/png", size_bytes=10
    ).asset
    MediaAsset.objects.filter(id=asset.id).update(
        status=MediaStatus.FAILED,
        failure_code="unsupported_format",
        failure_message="Use a JPEG, PNG, GIF, WebP, HEIC or AVIF image.",
    )

    body = api.get(f"/api/v1/media/{asset.id}/").json()

    assert (body["status"], body["failure_code"]) == ("failed", "unsupported_format")
    assert body["failure_message"] == "Use a JPEG, PNG, GIF, WebP, HEIC or AVIF image."


def test_local_storage_serves_nothing_outside_media(local_storage, tmp_path):
    source = tmp_path / "original"
    source.write_bytes(b"private")
    local_storage.put_file(
        "uploads/1/x", source, content_type="image/png", cache_control="private"
    )

    assert local_storage.public_file("media/../uploads/1/x") is None
    assert local_storage.public_file("uploads/1/x") is None
    assert local_storage.public_file("media/../../etc/passwd") is None


def test_a_folder_under_media_is_404_not_a_crash(local_storage, tmp_path, db):
    asset_id = "0b0e9a57-1c4e-4e0f-9a5e-3f1d2c9b8a70"
    source = tmp_path / "w640.webp"
    source.write_bytes(b"RIFF....WEBP")
    local_storage.put_file(
        f"media/{asset_id}/w640.webp",
        source,
        content_type="image/webp",
        cache_control="public",
    )
    client = Client()

    answers = [
        client.get(f"/media/{asset_id}"),
        client.get(f"/media/{asset_id}/"),
        client.get(f"/media/{asset_id}/w640.webp"),
    ]

    assert [a.status_code for a in answers] == [404, 404, 200]
