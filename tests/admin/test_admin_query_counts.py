"""Changelists run a constant number of queries however many rows they show."""

import uuid

from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.tokens import api_token_issue
from drafts.models import Draft
from media_uploads.models import MediaAsset, MediaVariant
from poster.models import Post, PostMedia

CHANGELISTS = (
    "/admin/drafts/draft/",
    "/admin/media_uploads/mediaasset/",
    "/admin/poster/post/",
    "/admin/poster/community/",
    "/admin/core/apitoken/",
)


def rows_create(count: int, community) -> None:
    """`count` drafts, media with two variants each, image posts and API tokens,
    each row with its own owner, so a per-row query would show in the count."""
    now = timezone.now()
    owners = get_user_model().objects.bulk_create(
        get_user_model()(username=f"owner-{uuid.uuid4().hex[:12]}")
        for _ in range(count)
    )
    for owner in owners:
        api_token_issue(user=owner)
    Draft.objects.bulk_create(
        Draft(owner=owner, title="Draft", community="pics") for owner in owners
    )
    assets = MediaAsset.objects.bulk_create(
        MediaAsset(
            owner=owner,
            status="ready",
            filename="p.jpg",
            content_type="image/jpeg",
            size_bytes=1000,
            original_key=f"uploads/{owner.id}/{uuid.uuid4()}",
            expires_at=now,
            width=400,
            height=300,
        )
        for owner in owners
    )
    MediaVariant.objects.bulk_create(
        MediaVariant(
            asset=asset,
            name=name,
            key=f"media/{asset.id}/{name}.webp",
            format="webp",
            content_type="image/webp",
            width=width,
            height=width * 3 // 4,
            size_bytes=100,
        )
        for asset in assets
        for name, width in (("w160", 160), ("w320", 320))
    )
    posts = Post.objects.bulk_create(
        Post(
            author=owner,
            community=community,
            kind="image",
            title="Post",
            status="published",
            published_at=now,
        )
        for owner in owners
    )
    PostMedia.objects.bulk_create(
        PostMedia(post=post, asset=asset, position=0)
        for post, asset in zip(posts, assets, strict=True)
    )


def query_counts(client) -> dict[str, tuple[int, int]]:
    counts = {}
    for url in CHANGELISTS:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        counts[url] = (len(queries), response.context["cl"].result_count)
    return counts


def test_changelists_run_as_many_queries_for_100_rows_as_for_10(
    admin_client, community
):
    rows_create(10, community)
    with_10 = query_counts(admin_client)
    rows_create(90, community)

    with_100 = query_counts(admin_client)

    assert {url: count for url, (count, _) in with_100.items()} == {
        url: count for url, (count, _) in with_10.items()
    }
    assert {url: rows for url, (_, rows) in with_100.items()} == {
        "/admin/drafts/draft/": 100,
        "/admin/media_uploads/mediaasset/": 100,
        "/admin/poster/post/": 100,
        "/admin/poster/community/": 1,
        "/admin/core/apitoken/": 100,
    }
