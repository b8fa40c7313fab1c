"""A draft's revisions: list, read, restore."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.openapi import (
    CURSOR,
    IF_MATCH,
    PAGE_SIZE,
    cursor_page,
    errors,
    response_headers,
)
from core.api.pagination import (
    RevisionNewestFirstPagination,
)
from core.api.preconditions import if_match_version
from drafts.apis.representations import (
    DraftOutputSerializer,
    draft_response,
)
from drafts.selectors import (
    draft_revision_get,
    draft_revision_list,
)
from drafts.services import (
    draft_revision_restore,
)


class DraftRevisionSummaryOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "DraftRevisionSummary"

    number = serializers.IntegerField()
    draft_version = serializers.IntegerField()
    reason = serializers.CharField()
    title = serializers.CharField()
    created_at = serializers.DateTimeField()


class DraftRevisionListApi(APIView):
    @extend_schema(
        operation_id="drafts_revisions_list",
        summary="List a draft's revisions, newest first",
        parameters=[CURSOR, PAGE_SIZE],
        responses={
            200: cursor_page(DraftRevisionSummaryOutputSerializer, "DraftRevisionPage"),
            **errors({404: ["not_found"]}),
        },
    )
    def get(self, request: Request, draft_id) -> Response:
        paginator = RevisionNewestFirstPagination()
        revisions = draft_revision_list(draft_id=draft_id, owner=request.user)
        page = paginator.paginate_queryset(revisions, request, self)
        return paginator.get_paginated_response(
            DraftRevisionSummaryOutputSerializer(page, many=True).data
        )


class DraftRevisionOutputSerializer(serializers.Serializer):
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


class DraftRevisionDetailApi(APIView):
    @extend_schema(
        operation_id="drafts_revisions_get",
        summary="Get one revision of a draft",
        responses={200: DraftRevisionOutputSerializer, **errors({404: ["not_found"]})},
    )
    def get(self, request: Request, draft_id, number: int) -> Response:
        revision = draft_revision_get(
            draft_id=draft_id, owner=request.user, number=number
        )
        return Response(DraftRevisionOutputSerializer(revision).data)


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
                    412: ["edit_conflict", "precondition_failed"],
                    428: ["precondition_required"],
                }
            ),
        },
        extensions=response_headers({200: ["ETag"], 412: ["ETag"]}),
    )
    def post(self, request: Request, draft_id, number: int) -> Response:
        base_version = if_match_version(request)
        draft = draft_revision_restore(
            draft_id=draft_id,
            owner=request.user,
            number=number,
            base_version=base_version,
        )
        return draft_response(draft)
