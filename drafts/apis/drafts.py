"""The draft resource: list, create, get, autosave, delete."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.idempotency import respond_idempotently
from core.api.openapi import (
    CURSOR,
    IDEMPOTENCY_KEY,
    IF_MATCH,
    IF_NONE_MATCH,
    PAGE_SIZE,
    cursor_page,
    errors,
    response_headers,
)
from core.api.pagination import (
    RecentlyUpdatedFirstPagination,
)
from core.api.preconditions import if_match_version, if_none_match_hits, version_etag
from core.errors import InvalidInput
from drafts.apis.representations import (
    DraftAutosaveOutputSerializer,
    DraftCreateInputSerializer,
    DraftInputSerializer,
    DraftOutputSerializer,
    draft_fields_data,
    draft_response,
)
from drafts.models import (
    MEDIA_FIELD,
)
from drafts.selectors import (
    draft_get,
    draft_list,
)
from drafts.services import (
    draft_autosave,
    draft_create,
    draft_delete,
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
        request=DraftCreateInputSerializer,
        examples=[
            OpenApiExample(
                "A text post in the making",
                value={"kind": "text", "title": "Hello", "community": "general"},
                request_only=True,
            )
        ],
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
            if isinstance(request.data, dict) and MEDIA_FIELD in request.data:
                raise InvalidInput.for_field(
                    "media",
                    "Not accepted on create.",
                    summary="Attach media after creating the draft.",
                )
            serializer = DraftCreateInputSerializer(data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            changes = dict(serializer.validated_data)
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
            response = Response(
                status=status.HTTP_304_NOT_MODIFIED,
                headers={"ETag": version_etag(draft.version)},
            )
        else:
            response = draft_response(draft)
        # The ETag is the version of the draft's own fields; its media (attached,
        # processed, captioned) change without it. A browser that stored this answer
        # would revalidate it with If-None-Match and keep a stale media list.
        response["Cache-Control"] = "no-store"
        return response


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
        examples=[
            OpenApiExample(
                "A few more words",
                value={"body": "First words"},
                request_only=True,
            )
        ],
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
                    412: ["edit_conflict", "precondition_failed"],
                    415: ["unsupported_media_type"],
                    422: ["reference_not_usable"],
                    428: ["precondition_required"],
                }
            ),
        },
        extensions=response_headers({200: ["ETag"], 412: ["ETag"]}),
    )
    def patch(self, request: Request, draft_id) -> Response:
        # A malformed body is 400 whatever If-Match says (a weak tag is 412).
        serializer = DraftInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if not serializer.validated_data:
            raise InvalidInput("Send at least one field to change.", code="no_changes")
        base_version = if_match_version(request)
        result = draft_autosave(
            draft_id=draft_id,
            owner=request.user,
            base_version=base_version,
            changes=serializer.validated_data,
        )
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
