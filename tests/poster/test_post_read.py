from datetime import timedelta

import pytest
from django.utils import timezone

from core.accounts import api_user_ensure
from poster.models import Post
from poster.moderation import post_remove
from tests.conftest import token_client
from tests.poster.conftest import draft_with_media, publish


@pytest.fixture
def posts(api, user, community):
    """One post of each status by `user`."""
    made = {}
    for status in ("published", "scheduled", "pending_media", "failed", "removed"):
        draft, _ = draft_with_media(user, title=f"{status} post")
        extra = {}
        if status == "scheduled":
            extra["publish_at"] = (timezone.now() + timedelta(days=1)).isoformat()
        made[status] = publish(api, draft, **extra).json()["id"]
    Post.objects.filter(id=made["pending_media"]).update(status="pending_media")
    Post.objects.filter(id=made["failed"]).update(status="failed")
    moderator = api_user_ensure(username="moderator", is_staff=True).user
    post_remove(post_id=made["removed"], removed_by=moderator, reason="spam")
    return made


@pytest.mark.parametrize(
    ("status", "is_visible"),
    [
        ("published", True),
        ("scheduled", False),
        ("pending_media", False),
        ("failed", False),
        ("removed", False),
    ],
)
def test_others_see_only_published_posts(other_api, posts, status, is_visible):
    response = other_api.get(f"/api/v1/posts/{posts[status]}/")

    assert response.status_code == (200 if is_visible else 404)


@pytest.mark.parametrize(
    "status", ["published", "scheduled", "pending_media", "failed", "removed"]
)
def test_authors_see_all_their_posts(api, posts, status):
    response = api.get(f"/api/v1/posts/{posts[status]}/")

    assert response.status_code == 200
    assert response.json()["status"] == status


def test_staff_see_removed_posts(posts):
    staff = token_client("moderator", is_staff=True)

    removed = staff.get(f"/api/v1/posts/{posts['removed']}/")
    scheduled = staff.get(f"/api/v1/posts/{posts['scheduled']}/")

    assert removed.status_code == 200
    assert removed.json()["removed_reason"] == "spam"
    assert scheduled.status_code == 404


def test_community_listing_shows_published_posts_newest_first(
    api, other_api, posts, user, community
):
    draft, _ = draft_with_media(user, title="newer")
    newer = publish(api, draft).json()["id"]

    listing = other_api.get("/api/v1/posts/?community=pics").json()

    assert [p["id"] for p in listing["results"]] == [newer, posts["published"]]
    assert other_api.get("/api/v1/posts/?community=other").json()["results"] == []


def test_author_me_lists_all_my_posts(api, other_api, posts):
    mine = api.get("/api/v1/posts/?author=me&page_size=3").json()
    rest = api.get(mine["next"]).json()
    theirs = other_api.get("/api/v1/posts/?author=me").json()

    ids = [p["id"] for p in mine["results"] + rest["results"]]
    assert sorted(ids) == sorted(posts.values())
    assert theirs["results"] == []


def test_author_filter_other_than_me_is_400(api):
    response = api.get("/api/v1/posts/?author=alice")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"author": ["Only 'me' is supported."]}


def test_author_deletes_a_post(api, other_api, posts):
    response = api.delete(f"/api/v1/posts/{posts['published']}/")

    assert response.status_code == 204
    assert other_api.get(f"/api/v1/posts/{posts['published']}/").status_code == 404
    assert Post.objects.get(id=posts["published"]).status == "removed"


def test_a_post_its_author_deleted_is_gone_for_the_author_too(api, posts):
    deleted = api.delete(f"/api/v1/posts/{posts['published']}/")

    assert deleted.status_code == 204
    assert api.get(f"/api/v1/posts/{posts['published']}/").status_code == 404
    assert api.delete(f"/api/v1/posts/{posts['published']}/").status_code == 404
    mine = api.get("/api/v1/posts/?author=me").json()["results"]
    assert posts["published"] not in {p["id"] for p in mine}
    assert posts["removed"] in {p["id"] for p in mine}  # removed by a moderator
    staff = token_client("moderator", is_staff=True)
    seen_by_staff = staff.get(f"/api/v1/posts/{posts['published']}/")
    assert seen_by_staff.json()["removed_reason"] == "Deleted by its author."


@pytest.mark.parametrize(("method", "suffix"), [("delete", "/"), ("post", "/cancel/")])
def test_others_cannot_delete_or_cancel(other_api, posts, method, suffix):
    for status in ("published", "scheduled"):
        response = getattr(other_api, method)(f"/api/v1/posts/{posts[status]}{suffix}")

        assert response.status_code == 404
        assert Post.objects.get(id=posts[status]).status == status
