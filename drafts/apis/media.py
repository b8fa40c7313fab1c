"""The media endpoints that name a draft: lease an upload into one, and move media
between drafts and positions. Media-only endpoints are in media_uploads.apis."""

import re

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.fields import PlainTextField
from core.api.openapi import errors, response_headers
from core.api.serializers import HotPathSerializer
from drafts.services.media import draft_media_lease_create, draft_media_update
from media_uploads.apis import (
    LeaseOutputSerializer,
    MediaOutputSerializer,
    lease_data,
    media_response,
)
from media_uploads.models import ALT_TEXT_MAX_LENGTH, CAPTION_MAX_LENGTH

SHA256_HEX = re.compile(r"^[0-9a-fA-F]{64}$")


class MediaLeaseInputSerializer(HotPathSerializer):
    class Meta:
        ref_name = "MediaLease"

    filename = PlainTextField(max_length=1000)
    content_type = serializers.CharField(max_length=100)
    size_bytes = serializers.IntegerField()
    sha256 = serializers.CharField(required=False, allow_null=True)
    draft = serializers.UUIDField(required=False, allow_null=True)

    def validate_sha256(self, value: str | None) -> str | None:
        if value is None:
            return None
        if not SHA256_HEX.match(value):
            raise serializers.ValidationError("Give 64 hexadecimal digits.")
        return value.lower()


class MediaLeaseCreateApi(APIView):
    throttle_scope = "leases"

    @extend_schema(
        operation_id="media_lease",
        summary="Lease an upload: where and how to send the file",
        request=MediaLeaseInputSerializer,
        responses={
            201: LeaseOutputSerializer,
            **errors(
                {
                    400: ["validation_error", "parse_error"],
                    403: ["draft_media_limit_reached"],
                    413: ["file_too_large"],
                    415: ["unsupported_media_type"],
                    429: [
                        "too_many_pending_uploads",
                        "upload_quota_exceeded",
                        "throttled",
                    ],
                }
            ),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = MediaLeaseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        lease = draft_media_lease_create(
            owner=request.user,
            filename=data["filename"],
            content_type=data["content_type"].lower(),
            size_bytes=data["size_bytes"],
            sha256=data.get("sha256"),
            draft_id=data.get("draft"),
        )
        return Response(
            lease_data(lease, upload_url=request.build_absolute_uri(lease.upload.url)),
            status=status.HTTP_201_CREATED,
        )


class MediaUpdateInputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "MediaUpdate"

    alt_text = PlainTextField(max_length=ALT_TEXT_MAX_LENGTH)
    caption = PlainTextField(max_length=CAPTION_MAX_LENGTH)
    draft = serializers.UUIDField(allow_null=True)
    position = serializers.IntegerField(min_value=0)


class MediaUpdateApi(APIView):
    @extend_schema(
        operation_id="media_update",
        summary="Change alt text, caption, or the draft and position holding it",
        request=MediaUpdateInputSerializer,
        responses={
            200: MediaOutputSerializer,
            **errors(
                {
                    400: ["validation_error", "parse_error"],
                    403: ["draft_media_limit_reached"],
                    404: ["not_found"],
                }
            ),
        },
        extensions=response_headers({200: ["Retry-After"]}),
    )
    def patch(self, request: Request, asset_id) -> Response:
        serializer = MediaUpdateInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        asset = draft_media_update(
            asset_id=asset_id, owner=request.user, changes=serializer.validated_data
        )
        return media_response(request, asset)
