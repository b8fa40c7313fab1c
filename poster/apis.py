from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.idempotency import respond_idempotently
from core.api.openapi import (
    CURSOR,
    IDEMPOTENCY_KEY,
    IF_MATCH,
    PAGE_SIZE,
    cursor_page,
    errors,
    response_headers,
)
from core.api.pagination import NewestFirstPagination
from core.api.preconditions import if_match_version
from core.errors import InvalidInput
from drafts.apis import DraftOutputSerializer
from media_uploads.apis import MediaVariantSerializer
from poster.models import Post, PostStatus
from poster.moderation import post_delete_by_author
from poster.selectors import post_get, post_list
from poster.services import post_cancel, post_publish


class PostMediaSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="asset.id")
    caption = serializers.CharField()
    alt_text = serializers.CharField()
    status = serializers.CharField(source="asset.status")
    width = serializers.IntegerField(source="asset.width", allow_null=True)
    height = serializers.IntegerField(source="asset.height", allow_null=True)
    blurhash = serializers.CharField(source="asset.blurhash")
    average_color = serializers.CharField(source="asset.average_color")
    variants = MediaVariantSerializer(source="asset.variants", many=True)


class PostOutputSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username")
    community = serializers.CharField(source="community.name")
    media = PostMediaSerializer(many=True)

    class Meta:
        model = Post
        fields = [
            "id",
            "author",
            "community",
            "kind",
            "title",
            "body",
            "url",
            "is_nsfw",
            "is_spoiler",
            "status",
            "publish_at",
            "published_at",
            "failure_code",
            "failure_message",
            "removed_reason",
            "media",
            "created_at",
        ]
        read_only_fields = fields


def post_data(post: Post, request: Request) -> dict:
    return PostOutputSerializer(post, context={"request": request}).data


class DraftPublishInputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "Publish"

    publish_at = serializers.DateTimeField(required=False, allow_null=True)


class DraftPublishApi(APIView):
    throttle_scope = "publish"

    @extend_schema(
        operation_id="drafts_publish",
        summary="Publish the draft version you last saw",
        description=(
            "201 published when all media are ready; 202 pending_media while images "
            "process (the post publishes itself when they are ready); 202 scheduled "
            "with a future publish_at."
        ),
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
        request=DraftPublishInputSerializer,
        examples=[
            OpenApiExample("Now", value={}, request_only=True),
            OpenApiExample(
                "Later", value={"publish_at": "2030-12-01T09:00:00Z"}, request_only=True
            ),
        ],
        responses={
            201: PostOutputSerializer,
            202: PostOutputSerializer,
            **errors(
                {
                    400: [
                        "validation_error",
                        "invalid_precondition",
                        "invalid_idempotency_key",
                        "parse_error",
                    ],
                    404: ["not_found"],
                    409: ["draft_already_published", "idempotency_request_in_progress"],
                    412: ["edit_conflict", "precondition_failed"],
                    415: ["unsupported_media_type"],
                    422: [
                        "title_required",
                        "url_invalid",
                        "media_count_invalid",
                        "media_unusable",
                        "community_required",
                        "community_not_found",
                        "community_inactive",
                        "kind_not_allowed",
                        "idempotency_key_reused",
                    ],
                    428: ["precondition_required"],
                }
            ),
        },
        extensions=response_headers(
            {201: ["Location"], 202: ["Location"], 412: ["ETag"]}
        ),
    )
    def post(self, request: Request, draft_id) -> Response:
        # A malformed body is 400 whatever If-Match says (a weak tag is 412).
        serializer = DraftPublishInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        base_version = if_match_version(request)

        def publish() -> Response:
            post = post_publish(
                draft_id=draft_id,
                author=request.user,
                base_version=base_version,
                publish_at=serializer.validated_data.get("publish_at"),
            )
            is_done = post.status == PostStatus.PUBLISHED
            location = reverse("post-detail", kwargs={"post_id": post.id})
            return Response(
                post_data(post_get(post_id=post.id, viewer=request.user), request),
                status=status.HTTP_201_CREATED if is_done else status.HTTP_202_ACCEPTED,
                headers={"Location": location},
            )

        return respond_idempotently(request, scope="drafts.publish", produce=publish)


class PostListApi(APIView):
    @extend_schema(
        operation_id="posts_list",
        summary="List posts, newest first",
        parameters=[
            CURSOR,
            PAGE_SIZE,
            OpenApiParameter(
                "community", str, description="Published posts of one community."
            ),
            OpenApiParameter(
                "author", str, enum=["me"], description="All your posts, any status."
            ),
        ],
        responses={
            200: cursor_page(PostOutputSerializer, "PostPage"),
            **errors({400: ["validation_error"], 404: ["not_found"]}),
        },
    )
    def get(self, request: Request) -> Response:
        author = request.query_params.get("author")
        if author not in (None, "me"):
            raise InvalidInput.for_field(
                "author",
                "Only 'me' is supported.",
                summary="author: only 'me' is supported.",
            )
        posts = post_list(
            viewer=request.user,
            community_name=request.query_params.get("community"),
            is_mine=author == "me",
        )
        paginator = NewestFirstPagination()
        page = paginator.paginate_queryset(posts, request, self)
        return paginator.get_paginated_response(
            [post_data(post, request) for post in page]
        )


class PostDetailApi(APIView):
    @extend_schema(
        operation_id="posts_get",
        summary="Get a post",
        responses={200: PostOutputSerializer, **errors({404: ["not_found"]})},
    )
    def get(self, request: Request, post_id) -> Response:
        return Response(
            post_data(post_get(post_id=post_id, viewer=request.user), request)
        )


class PostDeleteApi(APIView):
    @extend_schema(
        operation_id="posts_delete",
        summary="Delete your post",
        responses={204: None, **errors({404: ["not_found"]})},
    )
    def delete(self, request: Request, post_id) -> Response:
        post_delete_by_author(post_id=post_id, author=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PostCancelApi(APIView):
    @extend_schema(
        operation_id="posts_cancel",
        summary="Turn a scheduled post back into its draft",
        request=None,
        responses={
            200: DraftOutputSerializer,
            **errors({404: ["not_found"], 409: ["post_not_scheduled"]}),
        },
    )
    def post(self, request: Request, post_id) -> Response:
        draft = post_cancel(post_id=post_id, author=request.user)
        return Response(DraftOutputSerializer(draft).data)
