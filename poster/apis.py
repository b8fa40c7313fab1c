from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
)
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
from drafts.models import DraftKind
from drafts.selectors import draft_get
from media_uploads.apis import MediaVariantSerializer
from media_uploads.models import MediaAsset
from poster.guidance import draft_guidance_check
from poster.models import Post, PostStatus, RuleKind, RuleSeverity
from poster.moderation import post_delete_by_author
from poster.selectors import community_get, post_get, post_list
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


class PostFlairSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        allow_null=True, help_text="null once staff delete it"
    )
    text = serializers.CharField()


class PostOutputSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username")
    flair = serializers.SerializerMethodField()
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
            "flair",
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

    @extend_schema_field(PostFlairSerializer(allow_null=True))
    def get_flair(self, post: Post) -> dict | None:
        if not post.flair_text:
            return None
        return {"id": post.flair_id, "text": post.flair_text}


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
                        "requirements_not_met",
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
        description=(
            "Removes the post and takes its images down before answering: their "
            "public variant URLs stop serving (404 locally, 403/404 on S3, CDN "
            "purged when configured). The media are released: delete them with "
            "DELETE /api/v1/media/{id}/, or cleanup purges them after a day."
        ),
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


class ViolationSerializer(serializers.Serializer):
    rule = serializers.CharField(
        help_text="A rule kind (as in the community's rules), or a built-in: "
        "community_required, community_not_found, community_inactive, "
        "kind_not_allowed, flair_invalid, flair_mod_only."
    )
    field = serializers.ChoiceField(
        choices=["title", "body", "url", "flair", "media", "community", "kind"]
    )
    severity = serializers.ChoiceField(
        choices=RuleSeverity.values,
        help_text="block: publishing is refused; warn: only shown.",
    )
    message = serializers.CharField(help_text="Written by the moderators.")


class DraftCheckApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "DraftCheck"

        community = serializers.CharField(allow_null=True)
        is_blocked = serializers.BooleanField(
            help_text="True when a violation blocks publishing."
        )
        violations = ViolationSerializer(many=True)

    @extend_schema(
        operation_id="drafts_check",
        summary="Every community rule the draft breaks now",
        description=(
            "Call it while the author types (or before publishing): the same list "
            "publishing answers with 422 requirements_not_met when one of them "
            "blocks. It reads the draft as saved; autosave first."
        ),
        request=None,
        responses={200: OutputSerializer, **errors({404: ["not_found"]})},
    )
    def post(self, request: Request, draft_id) -> Response:
        draft = draft_get(draft_id=draft_id, owner=request.user)
        guidance = draft_guidance_check(
            draft=draft,
            media_count=MediaAsset.objects.held_by(draft.id).count,
            author=request.user,
        )
        return Response(
            {
                "community": guidance.community.name if guidance.community else None,
                "is_blocked": guidance.is_blocked,
                "violations": [v.as_dict() for v in guidance.violations],
            }
        )


class CommunityRuleSerializer(serializers.Serializer):
    rule = serializers.ChoiceField(source="kind", choices=RuleKind.values)
    field = serializers.CharField()
    value = serializers.CharField(
        help_text="By kind: a number; phrases or domains, one per line; an RE2 "
        "regular expression; a body policy (required, optional, not_allowed); "
        "empty for flair_required and media_required."
    )
    severity = serializers.ChoiceField(choices=RuleSeverity.values)
    message = serializers.CharField()


class CommunityFlairSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Put it in a draft's `flair`.")
    text = serializers.CharField()
    text_color = serializers.CharField()
    background_color = serializers.CharField()
    is_mod_only = serializers.BooleanField()


class CommunityDetailApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "Community"

        name = serializers.CharField()
        title = serializers.CharField()
        is_active = serializers.BooleanField()
        allowed_kinds = serializers.ListField(
            child=serializers.ChoiceField(choices=DraftKind.values)
        )
        guidelines_text = serializers.CharField()
        rules = CommunityRuleSerializer(many=True)
        flairs = CommunityFlairSerializer(many=True)

    @extend_schema(
        operation_id="communities_get",
        summary="A community's rules, flairs, allowed kinds and guidelines",
        responses={200: OutputSerializer, **errors({404: ["not_found"]})},
    )
    def get(self, request: Request, name: str) -> Response:
        community = community_get(name=name)
        return Response(self.OutputSerializer(community).data)
