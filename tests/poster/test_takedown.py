"""Take-down: a deleted or removed post's images stop being served, on every backend.

Real processing (a Celery worker on Redis), the API over HTTP, and the variant URLs
fetched anonymously as a browser would: from poster itself on the local backend, from
the bucket (LocalStack, with configure_bucket's public media/ policy) on S3.
"""

import boto3
import pytest
import requests
from django.test import Client
from moto import mock_aws

from drafts.services import draft_create
from drafts.services.media import draft_media_lease_create
from media_uploads.models import MediaAsset, MediaVariant, StoredObjectDeletion
from media_uploads.services import media_cleanup, media_complete
from poster.models import Post
from poster.moderation import post_remove, post_restore
from tests.media_uploads import image_factory
from tests.media_uploads.test_media_processing import finished
from tests.poster.conftest import publish


@pytest.fixture(
    params=["local", pytest.param("localstack", marks=pytest.mark.localstack)]
)
def public_storage(request):
    storage = request.getfixturevalue(f"{request.param}_storage")
    if request.param == "localstack":
        storage.configure_bucket(allowed_origins=["*"])
    return storage


def fetch_anonymously(url: str) -> int:
    """The status a browser gets for a public derivative URL."""
    if url.startswith("http://testserver/"):  # the local backend: poster serves it
        return Client().get(url.removeprefix("http://testserver")).status_code
    return requests.get(url, timeout=10).status_code


def published_image_post(api, user, storage, tmp_path) -> tuple[str, MediaAsset]:
    draft = draft_create(
        owner=user, changes={"kind": "image", "title": "Sunset", "community": "pics"}
    )
    data = image_factory.encode(image_factory.marked_image((800, 600)), "JPEG")
    asset = draft_media_lease_create(
        owner=user,
        filename="p.jpg",
        content_type="image/jpeg",
        size_bytes=len(data),
        draft_id=draft.id,
    ).asset
    source = tmp_path / "original.jpg"
    source.write_bytes(data)
    storage.put_file(
        asset.original_key, source, content_type="image/jpeg", cache_control="private"
    )
    media_complete(asset_id=asset.id, owner=user)
    assert finished(asset).status == "ready"
    response = publish(api, draft)
    assert response.status_code == 201, response.content
    return response.json()["id"], asset


def variant_urls(api, post_id: str) -> list[str]:
    media = api.get(f"/api/v1/posts/{post_id}/").json()["media"]
    return [variant["url"] for item in media for variant in item["variants"]]


def test_deleting_a_post_unpublishes_its_images_and_frees_the_media(
    celery_worker, api, user, community, public_storage, tmp_path
):
    post_id, asset = published_image_post(api, user, public_storage, tmp_path)
    urls = variant_urls(api, post_id)
    before = [fetch_anonymously(url) for url in urls]

    deleted = api.delete(f"/api/v1/posts/{post_id}/")
    after = [fetch_anonymously(url) for url in urls]

    assert len(urls) == 5
    assert before == [200] * 5
    assert deleted.status_code == 204
    assert all(status in (403, 404) for status in after), after
    assert not MediaVariant.objects.filter(asset=asset).exists()
    assert not StoredObjectDeletion.objects.exists()  # storage confirmed, no retry due
    # The original stays private until its author deletes the media, which is allowed.
    assert public_storage.head(asset.original_key) is not None
    media_deleted = api.delete(f"/api/v1/media/{asset.id}/")
    assert media_deleted.status_code == 204, media_deleted.content
    assert not MediaAsset.objects.filter(id=asset.id).exists()


def test_staff_removal_unpublishes_keeps_the_original_and_restore_derives_again(
    celery_worker, api, user, community, public_storage, tmp_path, django_user_model
):
    staff = django_user_model.objects.create(username="mod", is_staff=True)
    post_id, asset = published_image_post(api, user, public_storage, tmp_path)
    urls = variant_urls(api, post_id)

    post_remove(post_id=post_id, removed_by=staff, reason="Spam")
    after_removal = [fetch_anonymously(url) for url in urls]
    refused = api.delete(f"/api/v1/media/{asset.id}/")
    restored = post_restore(post_id=post_id)
    ready_again = finished(MediaAsset.objects.get(id=asset.id))
    after_restore = [fetch_anonymously(url) for url in variant_urls(api, post_id)]

    assert all(status in (403, 404) for status in after_removal), after_removal
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "media_in_use"
    assert restored is not None
    assert (ready_again.status, ready_again.taken_down_at) == ("ready", None)
    assert after_restore == [200] * 5
    assert Post.objects.get(id=post_id).status == "published"


def test_a_taken_down_asset_cannot_be_reprocessed_back_into_public(
    celery_worker, api, user, community, local_storage, tmp_path, django_user_model
):
    from media_uploads.services.repair import media_reprocess

    staff = django_user_model.objects.create(username="mod", is_staff=True)
    post_id, asset = published_image_post(api, user, local_storage, tmp_path)
    post_remove(post_id=post_id, removed_by=staff, reason="Spam")

    is_reset = media_reprocess(asset_id=asset.id)

    assert is_reset is False
    assert not MediaVariant.objects.filter(asset=asset).exists()
    assert not (local_storage.root / "media" / str(asset.id)).exists() or not any(
        (local_storage.root / "media" / str(asset.id)).iterdir()
    )


def test_an_author_deleted_posts_media_is_purged_as_unattached(
    celery_worker, api, user, community, local_storage, tmp_path, settings
):
    settings.MEDIA_UNATTACHED_MAX_AGE_SECONDS = 0
    post_id, asset = published_image_post(api, user, local_storage, tmp_path)

    api.delete(f"/api/v1/posts/{post_id}/")
    report = media_cleanup()

    assert report.deleted == 1
    assert not MediaAsset.objects.filter(id=asset.id).exists()


def test_take_down_purges_the_cdn(
    celery_worker, api, user, community, local_storage, tmp_path, settings
):
    settings.MEDIA_PUBLIC_BASE_URL = "https://cdn.example.com/"
    post_id, asset = published_image_post(api, user, local_storage, tmp_path)
    with mock_aws():
        cloudfront = boto3.client("cloudfront", region_name="us-east-1")
        distribution = cloudfront.create_distribution(
            DistributionConfig={
                "CallerReference": "poster-test",
                "Origins": {
                    "Quantity": 1,
                    "Items": [{"Id": "media", "DomainName": "media.example.com"}],
                },
                "DefaultCacheBehavior": {
                    "TargetOriginId": "media",
                    "ViewerProtocolPolicy": "allow-all",
                },
                "Comment": "",
                "Enabled": True,
            }
        )["Distribution"]
        settings.CDN_DISTRIBUTION_ID = distribution["Id"]

        api.delete(f"/api/v1/posts/{post_id}/")

        invalidations = cloudfront.list_invalidations(
            DistributionId=distribution["Id"]
        )["InvalidationList"]["Items"]
        paths = cloudfront.get_invalidation(
            DistributionId=distribution["Id"], Id=invalidations[0]["Id"]
        )["Invalidation"]["InvalidationBatch"]["Paths"]["Items"]
    assert len(invalidations) == 1
    assert sorted(paths) == sorted(
        f"/media/{asset.id}/{name}"
        for name in (
            "jpeg1080.jpg",
            "w1080.webp",
            "w640.webp",
            "w320.webp",
            "w160.webp",
        )
    )
