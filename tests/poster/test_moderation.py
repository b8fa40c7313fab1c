from poster.models import Post
from poster.moderation import post_remove
from tests.poster.conftest import draft_with_media, publish


def test_a_second_removal_keeps_the_first(api, user, other_user, community):
    draft, _ = draft_with_media(user)
    post_id = publish(api, draft).json()["id"]

    first = post_remove(post_id=post_id, removed_by=user, reason="Deleted by author.")
    second = post_remove(post_id=post_id, removed_by=other_user, reason="Spam")

    assert first is not None
    assert second is None
    post = Post.objects.get(id=post_id)
    assert (post.removed_by, post.removed_reason) == (user, "Deleted by author.")


def test_removal_limited_to_an_author_spares_other_authors_posts(
    api, user, other_user, community
):
    draft, _ = draft_with_media(user)
    post_id = publish(api, draft).json()["id"]

    removed = post_remove(
        post_id=post_id, removed_by=other_user, reason="x", author=other_user
    )

    assert removed is None
    assert Post.objects.get(id=post_id).status == "published"
