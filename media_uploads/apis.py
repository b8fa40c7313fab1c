from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.openapi import CURSOR, PAGE_SIZE, cursor_page, errors, response_headers
from core.api.pagination import NewestFirstPagination
from media_uploads.models import (
    MediaAsset,
    MediaVariant,
)
from media_uploads.selectors import media_get, media_list
from media_uploads.services import Lease, media_complete, media_delete
from media_uploads.storage import get_storage

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
    id = serializers.UUIDField(source="asset.id")
    status = serializers.CharField(source="asset.status")
    expires_at = serializers.DateTimeField(source="asset.expires_at")
    upload = UploadInstructionSerializer()


_EXPIRES_AT = serializers.DateTimeField()


def lease_data(lease: Lease, *, upload_url: str) -> dict:
    """`LeaseOutputSerializer`'s answer, built by hand: leases are a hot path, and a
    parity test keeps the two equal."""
    upload = lease.upload.as_dict()
    upload["url"] = upload_url
    return {
        "id": str(lease.asset.id),
        "status": lease.asset.status,
        "expires_at": _EXPIRES_AT.to_representation(lease.asset.expires_at),
        "upload": upload,
    }


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
