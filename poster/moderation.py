"""Moderation: removing and restoring posts, by staff or by their authors."""

from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from core.models_update import model_update
from poster.models import Post, PostStatus
from poster.services import PostNotFound, post_status_event_record


@transaction.atomic
def post_remove(
    *,
    post_id: UUID,
    removed_by: AbstractBaseUser,
    reason: str,
    author: AbstractBaseUser | None = None,
) -> Post | None:
    """Remove the post (only `author`'s, if given); None if none is left to remove.

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
    }
    model_update(post, removal, allowed=removal)
    post_status_event_record(post)
    return post


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

    The removal fields are cleared; the caller records why it was restored. None if
    the post is not removed or was never published.
    """
    post = (
        Post.objects.select_for_update()
        .filter(id=post_id, status=PostStatus.REMOVED, published_at__isnull=False)
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
    post_status_event_record(post)
    return post
