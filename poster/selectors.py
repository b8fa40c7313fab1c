"""Reads of posts, with who may see what.

- published: any authenticated user;
- scheduled, pending_media, failed: their author only;
- removed: their author and staff.
Anything else is 404, so a hidden post's existence never leaks.
"""

import re
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F, Prefetch, Q, QuerySet

from core.errors import NotFound
from drafts.models import COMMUNITY_NAME_PATTERN
from media_uploads.models import MediaVariant
from poster.models import (
    Community,
    CommunityFlair,
    CommunityRule,
    Post,
    PostMedia,
    PostStatus,
)
from poster.services import PostNotFound

# A post its author deleted is gone for the author too (a DELETE then GET is 404, as
# for any deleted resource); one that moderators removed stays readable by its
# author, with the reason.
DELETED_BY_AUTHOR = Q(status=PostStatus.REMOVED, removed_by=F("author"))


class CommunityNotFound(NotFound):
    message = "No such community."


def community_get(*, name: str) -> Community:
    """A community with its rules and flairs: public to every signed-in user."""
    if not re.match(COMMUNITY_NAME_PATTERN, name):
        # No name can match; and PostgreSQL refuses some strings (NUL) outright.
        raise CommunityNotFound()
    community = (
        Community.objects.filter(name__iexact=name)
        .prefetch_related(
            Prefetch(
                "rules", queryset=CommunityRule.objects.order_by("position", "id")
            ),
            Prefetch(
                "flairs", queryset=CommunityFlair.objects.order_by("position", "id")
            ),
        )
        .first()
    )
    if community is None:
        raise CommunityNotFound()
    return community


def _visible_to(user: AbstractBaseUser) -> Q:
    visible = Q(status=PostStatus.PUBLISHED) | (Q(author=user) & ~DELETED_BY_AUTHOR)
    if user.is_staff:
        visible |= Q(status=PostStatus.REMOVED)
    return visible


def _with_media(posts: QuerySet[Post]) -> QuerySet[Post]:
    return posts.select_related("author", "community").prefetch_related(
        Prefetch(
            "media",
            queryset=PostMedia.objects.select_related("asset").prefetch_related(
                Prefetch("asset__variants", queryset=MediaVariant.objects.all())
            ),
        )
    )


def post_get(*, post_id: UUID, viewer: AbstractBaseUser) -> Post:
    post = _with_media(Post.objects.filter(_visible_to(viewer), id=post_id)).first()
    if post is None:
        raise PostNotFound()
    return post


def post_list(
    *,
    viewer: AbstractBaseUser,
    community_name: str | None = None,
    is_mine: bool = False,
) -> QuerySet[Post]:
    if is_mine:
        posts = Post.objects.filter(author=viewer).exclude(DELETED_BY_AUTHOR)
    else:
        posts = Post.objects.filter(status=PostStatus.PUBLISHED)
    if community_name:
        posts = posts.filter(community__name__iexact=community_name)
    return _with_media(posts)


def media_shown_by_posts() -> Q:
    """A condition on MediaAsset: a post shows it that has not failed and was not
    deleted by its author (a staff removal keeps its media, for restore)."""
    return Q(
        post_uses__in=PostMedia.objects.exclude(post__status=PostStatus.FAILED)
        .exclude(post__status=PostStatus.REMOVED, post__is_deleted_by_author=True)
        .values("id")
    )
