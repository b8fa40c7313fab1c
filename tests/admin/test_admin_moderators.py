"""The `moderators` group moderates posts and media, and touches nothing else."""

from django.contrib.auth.models import Group

from drafts.services import draft_create
from poster.models import Post
from tests.admin.conftest import published_post


def test_moderators_group_holds_exactly_the_moderation_permissions(db):
    permissions = Group.objects.get(name="moderators").permissions.values_list(
        "content_type__app_label", "codename"
    )

    assert {f"{app}.{codename}" for app, codename in permissions} == {
        "poster.view_post",
        "poster.change_post",
        "poster.view_postmedia",
        "poster.change_postmedia",
        "poster.view_community",
        "media_uploads.view_mediaasset",
        "media_uploads.change_mediaasset",
        "media_uploads.view_mediavariant",
        "media_uploads.change_mediavariant",
    }


def test_moderator_lists_posts_and_removes_one_with_a_reason(
    moderator_client, user, local_storage, tmp_path, community
):
    post = published_post(user, local_storage, tmp_path)

    changelist = moderator_client.get("/admin/poster/post/")
    media = moderator_client.get("/admin/media_uploads/mediaasset/")
    response = moderator_client.post(
        "/admin/poster/post/",
        {
            "action": "remove",
            "_selected_action": [str(post.id)],
            "apply": "yes",
            "reason": "Off topic",
        },
    )
    post = Post.objects.get(id=post.id)

    assert (changelist.status_code, media.status_code, response.status_code) == (
        200,
        200,
        302,
    )
    assert (post.status, post.removed_reason, post.removed_by) == (
        "removed",
        "Off topic",
        moderator_client.user,
    )


def test_moderator_cannot_open_drafts_or_users(moderator_client, user):
    draft = draft_create(owner=user, changes={"title": "Private thoughts"})

    statuses = [
        moderator_client.get(url).status_code
        for url in (
            f"/admin/drafts/draft/{draft.id}/change/",
            "/admin/drafts/draft/",
            "/admin/auth/user/",
            f"/admin/auth/user/{user.id}/change/",
        )
    ]
    action = moderator_client.post(
        "/admin/drafts/draft/",
        {"action": "restore", "_selected_action": [str(draft.id)], "index": "0"},
    )

    assert statuses == [403, 403, 403, 403]
    assert action.status_code == 403


def test_moderator_cannot_delete_media(
    moderator_client, user, local_storage, tmp_path, community
):
    asset = published_post(user, local_storage, tmp_path).media.get().asset

    page = moderator_client.get("/admin/media_uploads/mediaasset/").content.decode()
    response = moderator_client.post(
        f"/admin/media_uploads/mediaasset/{asset.id}/delete/", {"post": "yes"}
    )

    assert "delete_with_stored_objects" not in page
    assert 'value="reprocess"' in page
    assert response.status_code == 403
