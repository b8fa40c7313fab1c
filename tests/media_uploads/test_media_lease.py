import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from drafts.services import draft_create
from media_uploads.apis import LeaseOutputSerializer, lease_data
from media_uploads.models import MediaAsset
from media_uploads.services import media_lease_create
from tests.conftest import requests_burst, token_client


def lease(api, **overrides):
    payload = {"filename": "a.jpg", "content_type": "image/jpeg", "size_bytes": 1000}
    return api.post("/api/v1/media/", {**payload, **overrides}, format="json")


def test_lease_answers_a_complete_post_instruction(api, user, local_storage):
    response = lease(api, filename="../../etc/pass\u202ewd.jpg")

    assert response.status_code == 201
    body = response.json()
    asset = MediaAsset.objects.get(id=body["id"])
    assert body["status"] == "awaiting_upload"
    assert body["upload"]["method"] == "POST"
    assert body["upload"]["url"].startswith("http://testserver/api/v1/storage/upload/")
    assert body["upload"]["fields"] == {
        "key": f"uploads/{user.pk}/{asset.id}",
        "Content-Type": "image/jpeg",
    }
    assert asset.original_key == f"uploads/{user.pk}/{asset.id}"
    assert asset.filename == "passwd.jpg"
    assert (asset.size_bytes, asset.content_type, asset.sha256) == (
        1000,
        "image/jpeg",
        "",
    )
    assert abs(
        (asset.expires_at - timezone.now()) - timedelta(seconds=900)
    ) < timedelta(seconds=5)


def test_lease_with_sha256_answers_a_put_instruction(api, local_storage):
    digest = hashlib.sha256(b"x").hexdigest()

    response = lease(api, sha256=digest.upper())

    upload = response.json()["upload"]
    assert response.status_code == 201
    assert upload["method"] == "PUT"
    assert upload["headers"]["Content-Type"] == "image/jpeg"
    assert "x-amz-checksum-sha256" in upload["headers"]
    assert MediaAsset.objects.get().sha256 == digest


@pytest.mark.parametrize(
    "content_type", ["image/svg+xml", "text/html", "application/pdf", "image/x-psd"]
)
def test_other_types_get_415(api, local_storage, content_type):
    response = lease(api, content_type=content_type)

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert MediaAsset.objects.count() == 0


@pytest.mark.parametrize("size_bytes", [0, -1, 20 * 1024 * 1024 + 1])
def test_sizes_outside_the_limit_get_413(api, local_storage, size_bytes):
    response = lease(api, size_bytes=size_bytes)

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "file_too_large"
    assert MediaAsset.objects.count() == 0


def test_exactly_the_maximum_size_is_leased(api, local_storage):
    assert lease(api, size_bytes=20 * 1024 * 1024).status_code == 201


def test_bad_sha256_gets_400(api, local_storage):
    response = lease(api, sha256="abc")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["sha256"]


def test_too_many_unfinished_leases_get_429(api, local_storage, settings):
    settings.MEDIA_MAX_PENDING = 2
    lease(api)
    lease(api)

    response = lease(api)

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "too_many_pending_uploads"
    assert response["Retry-After"] == "900"
    assert MediaAsset.objects.count() == 2


def test_expired_leases_do_not_count_as_pending(api, local_storage, settings):
    settings.MEDIA_MAX_PENDING = 1
    lease(api)
    MediaAsset.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert lease(api).status_code == 201


def test_lease_into_a_draft_takes_the_next_position(api, user, local_storage):
    draft = draft_create(owner=user, changes={})

    first = lease(api, draft=str(draft.id)).json()
    second = lease(api, draft=str(draft.id)).json()

    positions = dict(MediaAsset.objects.values_list("id", "position"))
    assert [
        positions[MediaAsset.objects.get(id=x["id"]).id] for x in (first, second)
    ] == [
        0,
        1,
    ]


def test_a_draft_holds_at_most_20_media(api, user, local_storage, settings):
    settings.MEDIA_MAX_PENDING = 100
    draft = draft_create(owner=user, changes={})
    for _ in range(20):
        assert lease(api, draft=str(draft.id)).status_code == 201

    response = lease(api, draft=str(draft.id))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "draft_media_limit_reached"
    assert MediaAsset.objects.count() == 20


def test_lease_into_another_users_draft_is_refused(api, other_user, local_storage):
    foreign = draft_create(owner=other_user, changes={})

    response = lease(api, draft=str(foreign.id))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "reference_not_usable"
    assert response.json()["error"]["fields"] == {"draft": ["No such draft."]}
    assert MediaAsset.objects.count() == 0


def test_missing_fields_get_400(api, local_storage):
    response = api.post("/api/v1/media/", {}, format="json")

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {
        "filename",
        "content_type",
        "size_bytes",
    }


@pytest.mark.django_db(transaction=True)
def test_concurrent_leases_of_one_user_never_overshoot_the_limit(
    local_storage, settings
):
    settings.MEDIA_MAX_PENDING = 5
    # A race shows only now and then: burst for several users.
    for attempt in range(8):
        owner = token_client(f"uploader-{attempt}").user

        statuses = requests_burst(
            owner.username, clients=16, requests_each=2, send=lease
        )

        assert sorted(statuses) == [201] * 5 + [429] * 27
        assert MediaAsset.objects.filter(owner=owner).count() == 5
    # Another user's limit is their own.
    assert lease(token_client("bystander")).status_code == 201


def test_lease_row_holds_what_the_answer_says(api, user, local_storage):
    sha256 = hashlib.sha256(b"x").hexdigest()

    body = lease(api, sha256=sha256.upper(), size_bytes=77).json()

    asset = MediaAsset.objects.get(id=body["id"])
    assert (
        api.get(f"/api/v1/media/{asset.id}/").json()["expires_at"]
        == (body["expires_at"])
    )
    assert (asset.owner_id, asset.status, asset.sha256, asset.size_bytes) == (
        user.pk,
        "awaiting_upload",
        sha256,
        77,
    )
    assert (asset.draft_id, asset.position, asset.processing_attempts) == (
        None,
        None,
        0,
    )
    assert asset.created_at == asset.updated_at
    assert abs(asset.created_at - timezone.now()) < timedelta(seconds=5)


@pytest.mark.parametrize("sha256", [None, "a" * 64])
def test_hand_built_lease_answer_equals_its_documenting_serializer(
    user, local_storage, sha256
):
    lease = media_lease_create(
        owner=user,
        filename="a.png",
        content_type="image/png",
        size_bytes=10,
        sha256=sha256,
    )
    url = "http://testserver" + lease.upload.url

    assert (
        lease_data(lease, upload_url=url)
        == LeaseOutputSerializer(
            {"asset": lease.asset, "upload": {**lease.upload.as_dict(), "url": url}}
        ).data
    )
