"""Moderation: removing and restoring posts, by staff or by their authors.

Removing a post takes its media down in the same transaction (media_uploads'
`media_take_down`): the public derivatives are deleted before the request returns,
the private originals stay. A staff removal keeps the media locked to the post, for a
restore (which derives the variants again) and as evidence; an author's deletion
releases them, so the author can delete them and cleanup purges them.
"""

from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from core.models_update import model_update
from media_uploads.services import media_release, media_restore, media_take_down
from poster.models import LIVE_POST_STATUSES, Post, PostMedia, PostStatus
from poster.services import PostNotFound, post_status_event_record


@transaction.atomic
def post_remove(
    *,
    post_id: UUID,
    removed_by: AbstractBaseUser,
    reason: str,
    author: AbstractBaseUser | None = None,
) -> Post | None:
    """Remove the post and take its media down; with `author`, it is that author
    deleting their own post, which also releases the media. None if none is left to
    remove.

    A post already removed keeps its first removal: who, when and why.
    """
    posts = Post.objects.select_for_update().exclude(status=PostStatus.REMOVED)
    if author is not None:
        posts = posts.filter(author=author)
    post = posts.filter(id=post_id).first()
    if post is None:
        return None
    removal = {
        "status": PostStatus.REMOVED,
        "removed_by": removed_by,
        "removed_at": timezone.now(),
        "removed_reason": reason,
        "is_deleted_by_author": author is not None,
    }
    model_update(post, removal, allowed=removal)
    asset_ids = _media_shown_only_by(post)
    media_take_down(asset_ids=asset_ids)
    if author is not None:
        media_release(asset_ids=asset_ids)
    post_status_event_record(post)
    return post


def _media_shown_only_by(post: Post) -> list:
    """The post's media that no other live post shows (those stay public)."""
    shown_elsewhere = PostMedia.objects.filter(
        post__status__in=LIVE_POST_STATUSES
    ).exclude(post=post)
    return list(
        post.media.exclude(asset_id__in=shown_elsewhere.values("asset_id")).values_list(
            "asset_id", flat=True
        )
    )


def post_delete_by_author(*, post_id: UUID, author: AbstractBaseUser) -> None:
    removed = post_remove(
        post_id=post_id,
        removed_by=author,
        reason="Deleted by its author.",
        author=author,
    )
    if removed is None:
        raise PostNotFound()


@transaction.atomic
def post_restore(*, post_id: UUID) -> Post | None:
    """Publish a removed post again, at its first `published_at` (staff repair).

    The removal fields are cleared and its media derived again from their originals;
    the caller records why it was restored. None if the post is not removed, was
    never published, or was deleted by its author (whose media may be gone).
    """
    post = (
        Post.objects.select_for_update()
        .filter(
            id=post_id,
            status=PostStatus.REMOVED,
            published_at__isnull=False,
            is_deleted_by_author=False,
        )
        .first()
    )
    if post is None:
        return None
    restoration = {
        "status": PostStatus.PUBLISHED,
        "removed_by": None,
        "removed_at": None,
        "removed_reason": "",
    }
    model_update(post, restoration, allowed=restoration)
    media_restore(asset_ids=post.media.values_list("asset_id", flat=True))
    post_status_event_record(post)
    return post
