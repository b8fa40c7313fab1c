"""The media endpoints that name a draft: lease an upload into one, and move media
between drafts and positions. Media-only endpoints are in media_uploads.apis."""

import re

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.fields import (
    PlainTextField,
    StrictIntegerField,
    StrictUUIDField,
)
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

SHA256_HEX_PATTERN = "^[0-9a-fA-F]{64}$"
SHA256_HEX = re.compile(SHA256_HEX_PATTERN)


# The service answers 415 for other types and 413 outside 1..MEDIA_MAX_BYTES; the
# schema states both bounds so that a generated client never sends such a lease.
@extend_schema_field(
    {"type": "string", "enum": list(settings.MEDIA_ALLOWED_CONTENT_TYPES)}
)
class LeaseContentTypeField(serializers.CharField):
    """One of MEDIA_ALLOWED_CONTENT_TYPES, exactly as listed (lower case)."""


@extend_schema_field(
    {"type": "integer", "minimum": 1, "maximum": settings.MEDIA_MAX_BYTES}
)
class LeaseSizeField(StrictIntegerField):
    pass


@extend_schema_field(
    {"type": "string", "pattern": SHA256_HEX_PATTERN, "nullable": True}
)
class Sha256Field(serializers.CharField):
    pass


class MediaLeaseInputSerializer(HotPathSerializer):
    class Meta:
        ref_name = "MediaLease"

    filename = PlainTextField(max_length=1000)
    content_type = LeaseContentTypeField(max_length=100)
    size_bytes = LeaseSizeField()
    sha256 = Sha256Field(required=False, allow_null=True, trim_whitespace=False)
    draft = StrictUUIDField(required=False, allow_null=True)

    def validate_sha256(self, value: str | None) -> str | None:
        if value is None:
            return None
        if not SHA256_HEX.fullmatch(value):
            raise serializers.ValidationError("Give 64 hexadecimal digits.")
        return value.lower()


class MediaLeaseCreateApi(APIView):
    throttle_scope = "leases"

    @extend_schema(
        operation_id="media_lease",
        summary="Lease an upload: where and how to send the file",
        request=MediaLeaseInputSerializer,
        examples=[
            OpenApiExample(
                "A photo",
                value={
                    "filename": "IMG_1.jpg",
                    "content_type": "image/jpeg",
                    "size_bytes": 48213,
                },
                request_only=True,
            )
        ],
        responses={
            201: LeaseOutputSerializer,
            **errors(
                {
                    400: ["validation_error", "parse_error"],
                    403: ["draft_media_limit_reached"],
                    413: ["file_too_large"],
                    422: ["reference_not_usable"],
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
            content_type=data["content_type"],
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
    draft = StrictUUIDField(allow_null=True)
    position = StrictIntegerField(min_value=0)


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
                    415: ["unsupported_media_type"],
                    422: ["reference_not_usable"],
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
