import copy
import re

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_errors import ApiError
from config.openapi import (
    CURSOR,
    IDEMPOTENCY_KEY,
    IF_MATCH,
    IF_NONE_MATCH,
    PAGE_SIZE,
    cursor_page,
    errors,
    response_headers,
)
from config.pagination import (
    RecentlyUpdatedFirstPagination,
    RevisionNewestFirstPagination,
)
from config.preconditions import if_match_version, if_none_match_hits, version_etag
from config.text_fields import PlainTextField
from drafts.models import (
    BODY_MAX_LENGTH,
    COMMUNITY_NAME_PATTERN,
    MEDIA_FIELD,
    TITLE_MAX_LENGTH,
    URL_MAX_LENGTH,
    Draft,
    DraftKind,
)
from drafts.selectors import (
    draft_get,
    draft_list,
    draft_revision_get,
    draft_revision_list,
)
from drafts.services import (
    DraftConflict,
    draft_autosave,
    draft_create,
    draft_delete,
    draft_revision_restore,
)
from media_uploads.selectors import media_of_draft
from poster.idempotency import respond_idempotently

# A draft's URL may be half typed; only its scheme is checked here. Publishing
# checks that it is a complete http(s) URL.
URL_SCHEME_PREFIXES = ("http://", "https://")


def draft_url_validate(value: str) -> str:
    if value == "":
        return value
    lowered = value.lower()
    is_scheme_prefix = any(prefix.startswith(lowered) for prefix in URL_SCHEME_PREFIXES)
    if not (lowered.startswith(URL_SCHEME_PREFIXES) or is_scheme_prefix):
        raise serializers.ValidationError(
            "Only http:// and https:// links are allowed."
        )
    if re.search(r"\s", value):
        raise serializers.ValidationError("A link may not contain spaces.")
    return value


class DraftInputSerializer(serializers.Serializer):
    """The editable fields; unknown fields are an error, not silently dropped."""

    def get_fields(self) -> dict[str, serializers.Field]:
        # DRF deep-copies declared fields per instance by re-running their __init__,
        # a third of autosave's CPU. These fields hold no per-request state, so a
        # shallow copy (bound to this serializer as usual) does.
        return {name: copy.copy(field) for name, field in self._declared_fields.items()}

    kind = serializers.ChoiceField(choices=DraftKind.choices)
    title = PlainTextField(max_length=TITLE_MAX_LENGTH)
    body = PlainTextField(max_length=BODY_MAX_LENGTH)
    url = PlainTextField(max_length=URL_MAX_LENGTH, validators=[draft_url_validate])
    community = PlainTextField(max_length=21)
    is_nsfw = serializers.BooleanField()
    is_spoiler = serializers.BooleanField()
    media = serializers.ListField(
        child=serializers.UUIDField(), max_length=settings.MEDIA_MAX_PER_DRAFT
    )

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    dict.fromkeys(unknown, ["This field is not known."])
                )
        return super().to_internal_value(data)

    def validate_media(self, value: list) -> list:
        if len(set(value)) != len(value):
            raise serializers.ValidationError("Each media may appear once.")
        return value

    def validate_community(self, value: str) -> str:
        if value and not re.match(COMMUNITY_NAME_PATTERN, value):
            raise serializers.ValidationError(
                "A community name has 3 to 21 letters, digits or underscores."
            )
        return value


class DraftFieldsSerializer(serializers.ModelSerializer):
    """A draft without its media: what the autosave fast path knows after its write."""

    class Meta:
        model = Draft
        fields = [
            "id",
            "kind",
            "title",
            "body",
            "url",
            "community",
            "is_nsfw",
            "is_spoiler",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class DraftMediaSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    caption = serializers.CharField()
    alt_text = serializers.CharField()


class DraftOutputSerializer(DraftFieldsSerializer):
    media = serializers.SerializerMethodField()

    class Meta(DraftFieldsSerializer.Meta):
        fields = [*DraftFieldsSerializer.Meta.fields, "media"]
        read_only_fields = fields

    def get_media(self, draft: Draft) -> list[dict]:
        media = getattr(draft, "ordered_media", None)
        if media is None:
            media = media_of_draft(draft_id=draft.id)
        return DraftMediaSerializer(media, many=True).data


class DraftAutosaveOutputSerializer(DraftFieldsSerializer):
    """Documents the autosave answer; `media` only when the PATCH changed media."""

    media = DraftMediaSerializer(many=True, required=False)
    merged = serializers.BooleanField()

    class Meta(DraftFieldsSerializer.Meta):
        fields = [*DraftFieldsSerializer.Meta.fields, "media", "merged"]
        read_only_fields = [*DraftFieldsSerializer.Meta.fields, "merged"]


_DATETIME_FIELD = serializers.DateTimeField()


def draft_fields_data(draft: Draft) -> dict:
    """What DraftFieldsSerializer renders, without building a serializer per request.

    Autosave is the hottest path; a test keeps the two identical.
    """
    return {
        "id": str(draft.id),
        "kind": draft.kind,
        "title": draft.title,
        "body": draft.body,
        "url": draft.url,
        "community": draft.community,
        "is_nsfw": draft.is_nsfw,
        "is_spoiler": draft.is_spoiler,
        "version": draft.version,
        "created_at": _DATETIME_FIELD.to_representation(draft.created_at),
        "updated_at": _DATETIME_FIELD.to_representation(draft.updated_at),
    }


def draft_response(
    draft: Draft,
    *,
    status_code: int = status.HTTP_200_OK,
    data: dict | None = None,
    **extra,
) -> Response:
    data = DraftOutputSerializer(draft).data if data is None else data
    return Response(
        {**data, **extra},
        status=status_code,
        headers={"ETag": version_etag(draft.version)},
    )


def edit_conflict_error(conflict: DraftConflict) -> ApiError:
    return ApiError(
        "Someone changed this draft since your version; merge and retry.",
        code="edit_conflict",
        status_code=status.HTTP_412_PRECONDITION_FAILED,
        extra={
            "conflicting_fields": conflict.conflicting_fields,
            "current": DraftOutputSerializer(conflict.draft).data,
        },
        headers={"ETag": version_etag(conflict.draft.version)},
    )


class DraftListApi(APIView):
    @extend_schema(
        operation_id="drafts_list",
        summary="List your drafts, most recently updated first",
        parameters=[CURSOR, PAGE_SIZE],
        responses={
            200: cursor_page(DraftOutputSerializer, "DraftPage"),
            **errors({404: ["not_found"]}),
        },
    )
    def get(self, request: Request) -> Response:
        paginator = RecentlyUpdatedFirstPagination()
        page = paginator.paginate_queryset(
            draft_list(owner=request.user), request, self
        )
        return paginator.get_paginated_response(
            DraftOutputSerializer(page, many=True).data
        )


class DraftCreateApi(APIView):
    @extend_schema(
        operation_id="drafts_create",
        summary="Create a draft",
        parameters=[IDEMPOTENCY_KEY],
        request=DraftInputSerializer,
        responses={
            201: DraftOutputSerializer,
            **errors(
                {
                    400: ["validation_error", "parse_error", "invalid_idempotency_key"],
                    403: ["draft_limit_reached"],
                    409: ["idempotency_request_in_progress"],
                    415: ["unsupported_media_type"],
                    422: ["idempotency_key_reused"],
                }
            ),
        },
        extensions=response_headers({201: ["ETag"]}),
    )
    def post(self, request: Request) -> Response:
        def create() -> Response:
            serializer = DraftInputSerializer(data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            changes = dict(serializer.validated_data)
            if MEDIA_FIELD in changes:
                raise ApiError(
                    "Attach media after creating the draft.",
                    code="validation_error",
                    extra={"fields": {"media": ["Not accepted on create."]}},
                )
            draft = draft_create(owner=request.user, changes=changes)
            return draft_response(draft, status_code=status.HTTP_201_CREATED)

        return respond_idempotently(request, scope="drafts.create", produce=create)


class DraftDetailApi(APIView):
    @extend_schema(
        operation_id="drafts_get",
        summary="Get a draft",
        parameters=[IF_NONE_MATCH],
        responses={
            200: DraftOutputSerializer,
            304: OpenApiResponse(description="Not modified: your ETag is current."),
            **errors({404: ["not_found"]}),
        },
        extensions=response_headers({200: ["ETag"], 304: ["ETag"]}),
    )
    def get(self, request: Request, draft_id) -> Response:
        draft = draft_get(draft_id=draft_id, owner=request.user)
        if if_none_match_hits(request, draft.version):
            return Response(
                status=status.HTTP_304_NOT_MODIFIED,
                headers={"ETag": version_etag(draft.version)},
            )
        return draft_response(draft)


class DraftAutosaveApi(APIView):
    throttle_scope = "autosave"

    @extend_schema(
        operation_id="drafts_autosave",
        summary="Autosave: change some fields of the version you last saw",
        description=(
            "At the current version: 200. At a stale version where nobody changed the "
            "fields you send since: merged, 200 with merged=true. Otherwise 412 "
            "edit_conflict with conflicting_fields and the current draft. `media` in "
            "the answer only when the PATCH changed media."
        ),
        parameters=[IF_MATCH],
        request=DraftInputSerializer,
        responses={
            200: DraftAutosaveOutputSerializer,
            **errors(
                {
                    400: [
                        "validation_error",
                        "no_changes",
                        "invalid_precondition",
                        "parse_error",
                    ],
                    403: ["draft_media_limit_reached"],
                    404: ["not_found"],
                    409: ["draft_published"],
                    412: ["edit_conflict"],
                    415: ["unsupported_media_type"],
                    428: ["precondition_required"],
                }
            ),
        },
        extensions=response_headers({200: ["ETag"], 412: ["ETag"]}),
    )
    def patch(self, request: Request, draft_id) -> Response:
        base_version = if_match_version(request)
        serializer = DraftInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if not serializer.validated_data:
            raise ApiError("Send at least one field to change.", code="no_changes")
        try:
            result = draft_autosave(
                draft_id=draft_id,
                owner=request.user,
                base_version=base_version,
                changes=serializer.validated_data,
            )
        except DraftConflict as conflict:
            raise edit_conflict_error(conflict) from conflict
        # The fast path returns the draft's own row only; media come along when the
        # PATCH changed them (GET always lists them).
        data = (
            DraftOutputSerializer(result.draft).data
            if MEDIA_FIELD in serializer.validated_data
            else draft_fields_data(result.draft)
        )
        return draft_response(result.draft, data=data, merged=result.is_merged)


class DraftDeleteApi(APIView):
    @extend_schema(
        operation_id="drafts_delete",
        summary="Delete a draft (staff can restore it for 30 days)",
        responses={204: None, **errors({404: ["not_found"]})},
    )
    def delete(self, request: Request, draft_id) -> Response:
        draft_delete(draft_id=draft_id, owner=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DraftRevisionListApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "DraftRevisionSummary"

        number = serializers.IntegerField()
        draft_version = serializers.IntegerField()
        reason = serializers.CharField()
        title = serializers.CharField()
        created_at = serializers.DateTimeField()

    @extend_schema(
        operation_id="drafts_revisions_list",
        summary="List a draft's revisions, newest first",
        parameters=[CURSOR, PAGE_SIZE],
        responses={
            200: cursor_page(OutputSerializer, "DraftRevisionPage"),
            **errors({404: ["not_found"]}),
        },
    )
    def get(self, request: Request, draft_id) -> Response:
        paginator = RevisionNewestFirstPagination()
        revisions = draft_revision_list(draft_id=draft_id, owner=request.user)
        page = paginator.paginate_queryset(revisions, request, self)
        return paginator.get_paginated_response(
            self.OutputSerializer(page, many=True).data
        )


class DraftRevisionDetailApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "DraftRevision"

        number = serializers.IntegerField()
        draft_version = serializers.IntegerField()
        reason = serializers.CharField()
        created_at = serializers.DateTimeField()
        kind = serializers.CharField()
        title = serializers.CharField()
        body = serializers.CharField()
        url = serializers.CharField()
        community = serializers.CharField()
        is_nsfw = serializers.BooleanField()
        is_spoiler = serializers.BooleanField()

    @extend_schema(
        operation_id="drafts_revisions_get",
        summary="Get one revision of a draft",
        responses={200: OutputSerializer, **errors({404: ["not_found"]})},
    )
    def get(self, request: Request, draft_id, number: int) -> Response:
        revision = draft_revision_get(
            draft_id=draft_id, owner=request.user, number=number
        )
        return Response(self.OutputSerializer(revision).data)


class DraftRevisionRestoreApi(APIView):
    @extend_schema(
        operation_id="drafts_revisions_restore",
        summary="Make a revision the draft's next version",
        parameters=[IF_MATCH],
        request=None,
        responses={
            200: DraftOutputSerializer,
            **errors(
                {
                    400: ["invalid_precondition"],
                    404: ["not_found"],
                    409: ["draft_published"],
                    412: ["edit_conflict"],
                    428: ["precondition_required"],
                }
            ),
        },
        extensions=response_headers({200: ["ETag"], 412: ["ETag"]}),
    )
    def post(self, request: Request, draft_id, number: int) -> Response:
        base_version = if_match_version(request)
        try:
            draft = draft_revision_restore(
                draft_id=draft_id,
                owner=request.user,
                number=number,
                base_version=base_version,
            )
        except DraftConflict as conflict:
            raise edit_conflict_error(conflict) from conflict
        return draft_response(draft)
