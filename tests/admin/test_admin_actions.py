"""Each admin action does what it says, through the services and the real worker."""

from pathlib import Path

from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages

from drafts.services import draft_create, draft_delete
from media_uploads.models import MediaAsset, MediaVariant, StoredObjectDeletion
from media_uploads.services import media_lease_create
from poster.models import Post
from poster.moderation import post_remove
from tests.admin.conftest import published_post, ready_media
from tests.conftest import wait_until
from tests.media_uploads import image_factory
from tests.media_uploads.test_media_processing import finished, uploaded

MEDIA = "/admin/media_uploads/mediaasset/"
POSTS = "/admin/poster/post/"


def processed_by_worker(user, storage, tmp_path: Path) -> MediaAsset:
    data = image_factory.encode(image_factory.marked_image((400, 300)), "JPEG")
    asset = finished(uploaded(user, storage, data, "image/jpeg", tmp_path))
    assert asset.status == "ready"
    return asset


def run_action(client, changelist: str, action: str, rows, **answers):
    """Pick `action` for `rows` on the changelist; `answers` confirm its page."""
    data = {"action": action, "_selected_action": [str(row.pk) for row in rows]}
    if answers:
        data |= {"apply": "yes", **answers}
    else:
        data["index"] = "0"
    return client.post(changelist, data)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def change_messages(obj) -> list[str]:
    return [
        entry.get_change_message()
        for entry in LogEntry.objects.filter(object_id=str(obj.pk)).order_by("id")
    ]


def test_restore_gives_a_deleted_draft_back_and_leaves_live_ones(admin_client, user):
    deleted = draft_create(owner=user, changes={"title": "Gone by mistake"})
    draft_delete(draft_id=deleted.id, owner=user)
    live = draft_create(owner=user, changes={"title": "Still here"})

    response = run_action(
        admin_client, "/admin/drafts/draft/", "restore", [deleted, live]
    )

    deleted.refresh_from_db()
    assert response.status_code == 302
    assert deleted.deleted_at is None
    assert messages_of(response) == [
        "Restored 1 drafts.",
        "Left 1 alone: not deleted.",
    ]
    assert change_messages(deleted) == ["Restored."]


def test_reprocess_runs_a_failed_image_through_the_worker_until_ready(
    celery_worker, admin_client, user, local_storage, tmp_path
):
    asset = processed_by_worker(user, local_storage, tmp_path)
    keys_before = set(MediaVariant.objects.filter(asset=asset).values_list("key"))
    MediaAsset.objects.filter(id=asset.id).update(
        status="failed",
        failure_code="processing_error",
        failure_message="Processing failed unexpectedly.",
        processing_attempts=6,
    )

    response = run_action(admin_client, MEDIA, "reprocess", [asset])
    asset = finished(asset)

    assert response.status_code == 302
    assert messages_of(response) == ["Sent 1 media to processing again."]
    assert (asset.status, asset.failure_code, asset.failure_message) == (
        "ready",
        "",
        "",
    )
    assert asset.processing_attempts == 1
    assert (
        set(MediaVariant.objects.filter(asset=asset).values_list("key")) == keys_before
    )
    assert change_messages(asset) == ["Sent to processing again."]


def test_reprocess_leaves_media_still_awaiting_upload_alone(admin_client, user):
    asset = media_lease_create(
        owner=user, filename="p.jpg", content_type="image/jpeg", size_bytes=10
    ).asset

    response = run_action(admin_client, MEDIA, "reprocess", [asset])

    assert MediaAsset.objects.get(id=asset.id).status == "awaiting_upload"
    assert messages_of(response) == [
        "Sent 0 media to processing again.",
        "Left 1 alone: awaiting upload, expired or processing right now.",
    ]


def test_fail_asks_for_a_reason_then_fails_media_with_it(
    admin_client, user, local_storage, tmp_path
):
    asset = ready_media(user, local_storage, tmp_path)

    page = run_action(admin_client, MEDIA, "fail_with_reason", [asset])
    unchanged = MediaAsset.objects.get(id=asset.id)
    response = run_action(
        admin_client, MEDIA, "fail_with_reason", [asset], reason="Shows a face"
    )
    asset.refresh_from_db()

    assert page.status_code == 200
    assert 'name="reason"' in page.content.decode()
    assert unchanged.status == "ready"
    assert response.status_code == 302
    assert (asset.status, asset.failure_code, asset.failure_message) == (
        "failed",
        "failed_by_staff",
        "Shows a face",
    )
    assert change_messages(asset) == ["Failed: Shows a face"]


def test_fail_without_a_reason_asks_again_and_changes_nothing(
    admin_client, user, local_storage, tmp_path
):
    asset = ready_media(user, local_storage, tmp_path)

    response = run_action(admin_client, MEDIA, "fail_with_reason", [asset], reason="")

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert MediaAsset.objects.get(id=asset.id).status == "ready"
    assert change_messages(asset) == []


def test_delete_removes_media_and_then_its_stored_objects(
    celery_worker, admin_client, user, local_storage, tmp_path
):
    asset = processed_by_worker(user, local_storage, tmp_path)
    keys = [
        asset.original_key,
        *MediaVariant.objects.filter(asset=asset).values_list("key", flat=True),
    ]

    page = run_action(admin_client, MEDIA, "delete_with_stored_objects", [asset])
    response = run_action(
        admin_client, MEDIA, "delete_with_stored_objects", [asset], apply="yes"
    )
    wait_until(lambda: not StoredObjectDeletion.objects.exists())

    assert page.status_code == 200
    assert response.status_code == 302
    assert messages_of(response) == ["Deleted 1 media with their objects."]
    assert not MediaAsset.objects.filter(id=asset.id).exists()
    assert [local_storage.head(key) for key in keys] == [None] * len(keys)
    assert len(keys) >= 4


def test_delete_keeps_media_a_live_post_shows_and_says_why(
    admin_client, user, local_storage, tmp_path, community
):
    asset = published_post(user, local_storage, tmp_path).media.get().asset

    response = run_action(
        admin_client, MEDIA, "delete_with_stored_objects", [asset], apply="yes"
    )

    assert response.status_code == 302
    assert messages_of(response) == [
        "Deleted 0 media with their objects.",
        "Kept 1 that a live post shows: sunset.jpg (ready). Remove the post first.",
    ]
    assert MediaAsset.objects.filter(id=asset.id).exists()
    assert not StoredObjectDeletion.objects.exists()
    assert LogEntry.objects.count() == 0


def test_delete_button_on_media_a_live_post_shows_explains_instead_of_crashing(
    admin_client, user, local_storage, tmp_path, community
):
    asset = published_post(user, local_storage, tmp_path).media.get().asset

    response = admin_client.post(f"{MEDIA}{asset.id}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert response["Location"] == f"{MEDIA}{asset.id}/change/"
    assert messages_of(response) == [
        "A post shows this media; delete or remove the post first."
    ]
    assert MediaAsset.objects.filter(id=asset.id).exists()
    assert not StoredObjectDeletion.objects.exists()


def test_delete_button_deletes_unused_media_with_its_stored_objects(
    admin_client, user, local_storage, tmp_path
):
    asset = ready_media(user, local_storage, tmp_path)
    keys = {
        asset.original_key,
        *MediaVariant.objects.filter(asset=asset).values_list("key", flat=True),
    }

    response = admin_client.post(f"{MEDIA}{asset.id}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not MediaAsset.objects.filter(id=asset.id).exists()
    assert set(StoredObjectDeletion.objects.values_list("key", flat=True)) == keys


def test_remove_records_the_reason_and_who_removed(
    admin_client, admin_user, user, local_storage, tmp_path, community
):
    post = published_post(user, local_storage, tmp_path)

    page = run_action(admin_client, POSTS, "remove", [post])
    response = run_action(admin_client, POSTS, "remove", [post], reason="Spam")
    post.refresh_from_db()

    assert page.status_code == 200
    assert response.status_code == 302
    assert (post.status, post.removed_reason, post.removed_by) == (
        "removed",
        "Spam",
        admin_user,
    )
    assert post.removed_at is not None
    assert change_messages(post) == ["Removed: Spam"]


def test_remove_keeps_the_first_removal_of_a_post_already_removed(
    admin_client, admin_user, user, local_storage, tmp_path, community
):
    post = published_post(user, local_storage, tmp_path)
    post_remove(post_id=post.id, removed_by=user, reason="Deleted by its author.")

    response = run_action(admin_client, POSTS, "remove", [post], reason="Spam")
    post.refresh_from_db()

    assert response.status_code == 302
    assert (post.removed_reason, post.removed_by) == ("Deleted by its author.", user)
    assert change_messages(post) == []
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert shown == ["Removed 0 posts.", "Left 1 alone: already removed."]


def test_restore_publishes_a_removed_post_again_at_its_first_time(
    admin_client, admin_user, user, local_storage, tmp_path, community
):
    post = published_post(user, local_storage, tmp_path)
    post_remove(post_id=post.id, removed_by=admin_user, reason="Spam")

    response = run_action(
        admin_client, POSTS, "restore", [post], reason="Appeal accepted"
    )
    restored = Post.objects.get(id=post.id)
    history = admin_client.get(f"{POSTS}{post.id}/history/").content.decode()

    assert response.status_code == 302
    assert (restored.status, restored.published_at) == ("published", post.published_at)
    assert (restored.removed_reason, restored.removed_by, restored.removed_at) == (
        "",
        None,
        None,
    )
    assert change_messages(post) == ["Restored: Appeal accepted"]
    assert "Restored: Appeal accepted" in history


def test_restore_leaves_posts_that_are_not_removed_alone(
    admin_client, user, local_storage, tmp_path: Path, community
):
    post = published_post(user, local_storage, tmp_path)

    response = run_action(admin_client, POSTS, "restore", [post], reason="Why not")

    assert messages_of(response) == [
        "Restored 0 posts.",
        "Left 1 alone: not removed, or never published.",
    ]
    assert change_messages(post) == []


def test_removed_posts_show_whether_their_media_is_still_reachable(
    admin_client,
    local_storage,
    tmp_path,
    community,
    django_user_model,
    django_capture_on_commit_callbacks,
):
    # One author each: the same photo twice would reuse, not derive, its variants.
    confirmed, unconfirmed, live = (
        published_post(
            django_user_model.objects.create(username=name), local_storage, tmp_path
        )
        for name in ("ann", "bob", "cy")
    )
    with django_capture_on_commit_callbacks(execute=True):
        run_action(admin_client, POSTS, "remove", [confirmed], reason="Spam")
    # Its after-commit deletion never runs: as if storage had not answered yet.
    run_action(admin_client, POSTS, "remove", [unconfirmed], reason="Spam")

    page = admin_client.get(POSTS)

    shown = {
        post.id: page.context["cl"].model_admin.media_reachable(post)
        for post in page.context["cl"].result_list
    }
    assert shown == {confirmed.id: False, unconfirmed.id: True, live.id: None}
    assert 'alt="True"' in page.content.decode()
    confirmed_media = confirmed.media.get().asset
    assert not (
        local_storage.root / "media" / str(confirmed_media.id)
    ).exists() or not any(
        (local_storage.root / "media" / str(confirmed_media.id)).iterdir()
    )
