"""Publishing: drafts become posts, now, when their media are ready, or later.

A draft becomes a post exactly once, in the transaction that consumes the
draft. A post whose media are still processing waits (`pending_media`) and is settled by
the pipeline's ready/failed `media.status` event (`posts_settle_on_media_event`,
subscribed in `PosterConfig.ready()`); scheduled posts
are published by a periodic sweep, never by far-future ETA tasks.
"""

from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, DomainError, NotFound
from core.events import MEDIA_STATUS, POST_STATUS, DomainEvent, event_record
from core.models_update import model_update
from drafts.models import Draft, DraftKind
from drafts.services import (
    DraftPublished,
    draft_consume,
    draft_give_back,
    draft_lock,
    draft_require_version,
)
from media_uploads.models import PROCESSABLE_STATUSES, MediaAsset, MediaStatus
from poster.guidance import FlairChoice, draft_guidance_check
from poster.models import Community, CommunityFlair, Post, PostMedia, PostStatus


class PublishRejected(DomainError):
    """The draft cannot become a post as it is; `code` says why."""


class RequirementsNotMet(PublishRejected):
    """The draft breaks a blocking rule of its community; `violations` lists all."""

    code = "requirements_not_met"
    message = "This post does not meet the community's requirements yet."


class DraftAlreadyPublished(Conflict):
    code = "draft_already_published"
    message = "This draft is already a post."


class PostNotFound(NotFound):
    message = "No such post."


class PostNotScheduled(Conflict):
    code = "post_not_scheduled"
    message = "Only a scheduled post can be cancelled."


def media_count_range(kind: str) -> tuple[int, int]:
    """How many media a post of `kind` takes; a gallery, as many as a draft holds."""
    return {
        DraftKind.TEXT: (0, 0),
        DraftKind.LINK: (0, 0),
        DraftKind.IMAGE: (1, 1),
        DraftKind.GALLERY: (2, settings.MEDIA_MAX_PER_DRAFT),
    }[kind]


SETTLED_MEDIA_STATUSES = (MediaStatus.READY, MediaStatus.FAILED)
UNUSABLE_MEDIA_STATUSES = (
    MediaStatus.AWAITING_UPLOAD,
    MediaStatus.FAILED,
    MediaStatus.EXPIRED,
)


def _publish_validate(
    draft: Draft, media: list[MediaAsset], author: AbstractBaseUser
) -> tuple[Community, FlairChoice | None]:
    """Check the draft by its kind, then by its community's rules; raise
    PublishRejected with a code for each fault. Returns the community and the flair."""
    if not draft.title.strip():
        raise PublishRejected("A post needs a title.", code="title_required")
    if draft.kind == DraftKind.LINK:
        try:
            URLValidator(schemes=["http", "https"])(draft.url)
        except ValidationError as error:
            raise PublishRejected(
                "A link post needs a complete http(s) URL.", code="url_invalid"
            ) from error
    low, high = media_count_range(draft.kind)
    if not low <= len(media) <= high:
        raise PublishRejected(
            f"A {draft.kind} post needs {low} to {high} media; this draft has "
            f"{len(media)}.",
            code="media_count_invalid",
        )
    unusable = [
        str(asset.id)
        for asset in media
        if asset.status in UNUSABLE_MEDIA_STATUSES or asset.taken_down_at is not None
    ]
    if unusable:
        raise PublishRejected(
            "Some media failed or were never uploaded; remove or replace them.",
            code="media_unusable",
            extra={"media": unusable},
        )
    if not draft.community:
        raise PublishRejected("Choose a community.", code="community_required")
    community = Community.objects.filter(name__iexact=draft.community).first()
    if community is None:
        raise PublishRejected("No such community.", code="community_not_found")
    if not community.is_active:
        raise PublishRejected(
            "This community does not take posts now.", code="community_inactive"
        )
    if draft.kind not in community.allowed_kinds:
        raise PublishRejected(
            f"{community.name} does not take {draft.kind} posts.",
            code="kind_not_allowed",
        )
    guidance = draft_guidance_check(draft=draft, media_count=len(media), author=author)
    if guidance.is_blocked:
        raise RequirementsNotMet(
            extra={"violations": [v.as_dict() for v in guidance.violations]}
        )
    flair = guidance.flair
    # Hold the flair until commit: a concurrent delete by staff would otherwise
    # leave the new post pointing at nothing.
    if flair and not CommunityFlair.objects.select_for_update().filter(id=flair.id):
        raise RequirementsNotMet(
            extra={
                "violations": [
                    {
                        "rule": "flair_invalid",
                        "field": "flair",
                        "severity": "block",
                        "message": f"This flair is not one of {community.name}'s.",
                    }
                ]
            }
        )
    return community, flair


@transaction.atomic
def post_publish(
    *,
    draft_id: UUID,
    author: AbstractBaseUser,
    base_version: int,
    publish_at: datetime | None = None,
) -> Post:
    """Turn the draft the author last saw into a post, consuming the draft.

    The draft's row lock serializes concurrent publishes: the second one finds the
    draft consumed and gets DraftAlreadyPublished. Media rows are locked too, so a
    pipeline finishing at the same moment either is seen as ready here or notifies
    the new post after this commits.
    """
    try:
        draft = draft_lock(draft_id=draft_id, owner=author)
    except DraftPublished as error:
        existing = Post.objects.filter(source_draft_id=draft_id).first()
        raise DraftAlreadyPublished(
            extra={"post_id": str(existing.id)} if existing else {}
        ) from error
    draft_require_version(draft, base_version)
    media = list(MediaAsset.objects.select_for_update().held_by(draft.id))
    community, flair = _publish_validate(draft, media, author)
    now = timezone.now()
    is_scheduled = publish_at is not None and publish_at > now
    is_media_ready = all(asset.status == MediaStatus.READY for asset in media)
    if is_scheduled:
        post_status = PostStatus.SCHEDULED
    else:
        post_status = (
            PostStatus.PUBLISHED if is_media_ready else PostStatus.PENDING_MEDIA
        )
    post = Post.objects.create(
        author=author,
        community=community,
        kind=draft.kind,
        title=draft.title,
        body=draft.body,
        url=draft.url,
        is_nsfw=draft.is_nsfw,
        is_spoiler=draft.is_spoiler,
        flair_id=flair.id if flair else None,
        flair_text=flair.text if flair else "",
        status=post_status,
        publish_at=publish_at if is_scheduled else None,
        published_at=now if post_status == PostStatus.PUBLISHED else None,
        source_draft=draft,
    )
    PostMedia.objects.bulk_create(
        PostMedia(
            post=post,
            asset=asset,
            position=position,
            caption=asset.caption,
            alt_text=asset.alt_text,
        )
        for position, asset in enumerate(media)
    )
    draft_consume(draft=draft, now=now)
    post_status_event_record(post)
    return post


@transaction.atomic
def post_finish_if_media_settled(*, post_id: UUID) -> Post | None:
    """Publish a waiting post whose media are all ready, or fail it if one failed.

    A failed post gives its draft back to its author to fix.
    """
    post = (
        Post.objects.select_for_update()
        .filter(id=post_id, status=PostStatus.PENDING_MEDIA)
        .first()
    )
    if post is None:
        return None
    statuses = list(post.media.values_list("asset__status", flat=True))
    now = timezone.now()
    if any(status_ in UNUSABLE_MEDIA_STATUSES for status_ in statuses):
        if post.source_draft_id:
            draft_give_back(draft_id=post.source_draft_id)
        failure = {
            "status": PostStatus.FAILED,
            "failure_code": "media_failed",
            "failure_message": (
                "An image could not be processed; your draft is back to fix it."
            ),
            "source_draft": None,
        }
        model_update(post, failure, allowed=failure)
        post_status_event_record(post)
    elif all(status_ == MediaStatus.READY for status_ in statuses):
        publication = {"status": PostStatus.PUBLISHED, "published_at": now}
        model_update(post, publication, allowed=publication)
        post_status_event_record(post)
    return post


# A cancelled post is deleted (its draft is back): no PostStatus names that state.
POST_CANCELLED = "cancelled"


def post_status_event_record(post: Post) -> None:
    """Tell the subscribers (and the author's other devices) the post's new status."""
    event_record(
        type=POST_STATUS,
        owner_id=post.author_id,
        object_id=post.id,
        state=post.status,
    )


def posts_settle_on_media_event(event: DomainEvent) -> None:
    """Subscriber of `media.status`: a settled asset may complete waiting posts."""
    if event.type == MEDIA_STATUS and event.state in SETTLED_MEDIA_STATUSES:
        posts_finish_waiting_for_media(asset_id=UUID(event.object_id))


def posts_finish_waiting_for_media(*, asset_id: UUID) -> None:
    """Called when an asset becomes ready or fails: settle the posts waiting for it."""
    waiting = Post.objects.filter(
        status=PostStatus.PENDING_MEDIA, media__asset_id=asset_id
    ).values_list("id", flat=True)
    for post_id in list(waiting):
        post_finish_if_media_settled(post_id=post_id)


def posts_publish_due(*, now: datetime | None = None) -> int:
    """Publish scheduled posts whose time has come (run by beat, never as ETA tasks).

    Also settles waiting posts whose media all finished, in case the event that should
    have settled them was lost with a worker.
    """
    now = now or timezone.now()
    due = Post.objects.filter(status=PostStatus.SCHEDULED, publish_at__lte=now)
    moved = 0
    for post_id in list(due.values_list("id", flat=True)[:500]):
        # One transaction per post: its move and its event commit together.
        with transaction.atomic():
            is_moved = Post.objects.filter(
                id=post_id, status=PostStatus.SCHEDULED
            ).update(status=PostStatus.PENDING_MEDIA, updated_at=now)
            moved += is_moved
            post = post_finish_if_media_settled(post_id=post_id)
            if (
                is_moved
                and post is not None
                and post.status == PostStatus.PENDING_MEDIA
            ):
                post_status_event_record(post)
    waiting = Post.objects.filter(status=PostStatus.PENDING_MEDIA).exclude(
        media__asset__status__in=PROCESSABLE_STATUSES
    )
    for post_id in list(waiting.values_list("id", flat=True)[:500]):
        post_finish_if_media_settled(post_id=post_id)
    return moved


@transaction.atomic
def post_cancel(*, post_id: UUID, author: AbstractBaseUser) -> Draft:
    """Turn a scheduled post back into its draft."""
    post = Post.objects.select_for_update().filter(id=post_id, author=author).first()
    if post is None:
        raise PostNotFound()
    if post.status != PostStatus.SCHEDULED:
        raise PostNotScheduled()
    draft_id = post.source_draft_id
    event_record(
        type=POST_STATUS,
        owner_id=post.author_id,
        object_id=post.id,
        state=POST_CANCELLED,
        data={"draft_id": str(draft_id)},
    )
    post.delete()
    return draft_give_back(draft_id=draft_id)
