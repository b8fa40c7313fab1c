import re

from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.text_fields import PlainTextField
from media_uploads.models import (
    ALT_TEXT_MAX_LENGTH,
    CAPTION_MAX_LENGTH,
    MediaAsset,
    MediaStatus,
)
from media_uploads.selectors import media_get
from media_uploads.services import (
    media_complete,
    media_delete,
    media_lease_create,
    media_update,
)

SHA256_HEX = re.compile(r"^[0-9a-fA-F]{64}$")


class MediaOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = MediaAsset
        fields = [
            "id",
            "status",
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


class MediaLeaseCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
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


class MediaDetailApi(APIView):
    def get(self, request: Request, asset_id) -> Response:
        asset = media_get(asset_id=asset_id, owner=request.user)
        return Response(MediaOutputSerializer(asset).data)


class MediaUpdateApi(APIView):
    class InputSerializer(serializers.Serializer):
        alt_text = PlainTextField(max_length=ALT_TEXT_MAX_LENGTH)
        caption = PlainTextField(max_length=CAPTION_MAX_LENGTH)
        draft = serializers.UUIDField(allow_null=True)
        position = serializers.IntegerField(min_value=0)

    def patch(self, request: Request, asset_id) -> Response:
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        asset = media_update(
            asset_id=asset_id, owner=request.user, changes=serializer.validated_data
        )
        return Response(MediaOutputSerializer(asset).data)


class MediaDeleteApi(APIView):
    def delete(self, request: Request, asset_id) -> Response:
        media_delete(asset_id=asset_id, owner=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MediaCompleteApi(APIView):
    def post(self, request: Request, asset_id) -> Response:
        asset = media_complete(asset_id=asset_id, owner=request.user)
        is_pending = asset.status in (MediaStatus.UPLOADED, MediaStatus.PROCESSING)
        return Response(
            MediaOutputSerializer(asset).data,
            status=status.HTTP_202_ACCEPTED if is_pending else status.HTTP_200_OK,
        )
