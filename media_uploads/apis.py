import re

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.input_serializers import HotPathSerializer
from config.openapi import CURSOR, PAGE_SIZE, cursor_page, errors, response_headers
from config.pagination import NewestFirstPagination
from config.text_fields import PlainTextField
from media_uploads.models import (
    ALT_TEXT_MAX_LENGTH,
    CAPTION_MAX_LENGTH,
    MediaAsset,
    MediaVariant,
)
from media_uploads.selectors import media_get, media_list
from media_uploads.services import (
    media_complete,
    media_delete,
    media_lease_create,
    media_update,
)
from media_uploads.storage import get_storage

SHA256_HEX = re.compile(r"^[0-9a-fA-F]{64}$")


PROCESSING_RETRY_AFTER_SECONDS = "2"


class MediaVariantSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = MediaVariant
        fields = ["name", "width", "height", "format", "size_bytes", "url"]
        read_only_fields = fields

    def get_url(self, variant: MediaVariant) -> str:
        url = get_storage().public_url(variant.key)
        request = self.context.get("request")
        # The local backend serves derivatives from poster itself, at a relative path.
        return (
            request.build_absolute_uri(url) if request and url.startswith("/") else url
        )


class MediaOutputSerializer(serializers.ModelSerializer):
    variants = MediaVariantSerializer(many=True, read_only=True)

    class Meta:
        model = MediaAsset
        fields = [
            "id",
            "status",
            "width",
            "height",
            "format",
            "is_animated",
            "blurhash",
            "average_color",
            "variants",
            "filename",
            "content_type",
            "size_bytes",
            "sha256",
            "draft",
            "position",
            "alt_text",
            "caption",
            "expires_at",
            "uploaded_at",
            "failure_code",
            "failure_message",
            "created_at",
        ]
        read_only_fields = fields


class UploadInstructionSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=["POST", "PUT"])
    url = serializers.URLField()
    fields = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text="POST: send these form fields in order, then the file as `file`.",
    )
    headers = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text="PUT: send exactly these headers with the bytes as the body.",
    )


class LeaseOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    expires_at = serializers.DateTimeField()
    upload = UploadInstructionSerializer()


class MediaListApi(APIView):
    @extend_schema(
        operation_id="media_list",
        summary="List your media, newest first",
        parameters=[CURSOR, PAGE_SIZE],
        responses={
            200: cursor_page(MediaOutputSerializer, "MediaPage"),
            **errors({404: ["not_found"]}),
        },
    )
    def get(self, request: Request) -> Response:
        paginator = NewestFirstPagination()
        page = paginator.paginate_queryset(
            media_list(owner=request.user).prefetch_related("variants"), request, self
        )
        return paginator.get_paginated_response(
            MediaOutputSerializer(page, many=True, context={"request": request}).data
        )


class MediaLeaseCreateApi(APIView):
    class InputSerializer(HotPathSerializer):
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

    throttle_scope = "leases"

    @extend_schema(
        operation_id="media_lease",
        summary="Lease an upload: where and how to send the file",
        request=InputSerializer,
        responses={
            201: LeaseOutputSerializer,
            **errors(
                {
                    400: ["validation_error", "parse_error"],
                    403: ["draft_media_limit_reached"],
                    413: ["file_too_large"],
                    415: ["unsupported_media_type"],
                    429: ["too_many_pending_uploads", "throttled"],
                }
            ),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        lease = media_lease_create(
            owner=request.user,
            filename=data["filename"],
            content_type=data["content_type"].lower(),
            size_bytes=data["size_bytes"],
            sha256=data.get("sha256"),
            draft_id=data.get("draft"),
        )
        upload = lease.upload.as_dict()
        upload["url"] = request.build_absolute_uri(upload["url"])
        return Response(
            {
                "id": str(lease.asset.id),
                "status": lease.asset.status,
                "expires_at": serializers.DateTimeField().to_representation(
                    lease.asset.expires_at
                ),
                "upload": upload,
            },
            status=status.HTTP_201_CREATED,
        )


def media_response(
    request: Request, asset: MediaAsset, *, status_code: int = status.HTTP_200_OK
) -> Response:
    """The asset; while it is processed, Retry-After says when to look again."""
    headers = (
        {"Retry-After": PROCESSING_RETRY_AFTER_SECONDS} if asset.is_processing else {}
    )
    return Response(
        MediaOutputSerializer(asset, context={"request": request}).data,
        status=status_code,
        headers=headers,
    )


class MediaDetailApi(APIView):
    @extend_schema(
        operation_id="media_get",
        summary="Get a media asset and its derivatives",
        responses={200: MediaOutputSerializer, **errors({404: ["not_found"]})},
        extensions=response_headers({200: ["Retry-After"]}),
    )
    def get(self, request: Request, asset_id) -> Response:
        return media_response(request, media_get(asset_id=asset_id, owner=request.user))


class MediaUpdateApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "MediaUpdate"

        alt_text = PlainTextField(max_length=ALT_TEXT_MAX_LENGTH)
        caption = PlainTextField(max_length=CAPTION_MAX_LENGTH)
        draft = serializers.UUIDField(allow_null=True)
        position = serializers.IntegerField(min_value=0)

    @extend_schema(
        operation_id="media_update",
        summary="Change alt text, caption, or the draft and position holding it",
        request=InputSerializer,
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
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        asset = media_update(
            asset_id=asset_id, owner=request.user, changes=serializer.validated_data
        )
        return media_response(request, asset)


class MediaDeleteApi(APIView):
    @extend_schema(
        operation_id="media_delete",
        summary="Delete media and its stored files",
        responses={204: None, **errors({404: ["not_found"], 409: ["media_in_use"]})},
    )
    def delete(self, request: Request, asset_id) -> Response:
        media_delete(asset_id=asset_id, owner=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MediaCompleteApi(APIView):
    @extend_schema(
        operation_id="media_complete",
        summary="Tell poster the upload is done; processing starts",
        request=None,
        responses={
            200: MediaOutputSerializer,
            202: MediaOutputSerializer,
            **errors(
                {
                    404: ["not_found"],
                    409: ["upload_missing"],
                    410: ["lease_expired"],
                    422: ["upload_mismatch"],
                    503: ["storage_unavailable"],
                }
            ),
        },
        extensions=response_headers({200: ["Retry-After"], 202: ["Retry-After"]}),
    )
    def post(self, request: Request, asset_id) -> Response:
        asset = media_complete(asset_id=asset_id, owner=request.user)
        return media_response(
            request,
            asset,
            status_code=(
                status.HTTP_202_ACCEPTED if asset.is_processing else status.HTTP_200_OK
            ),
        )
