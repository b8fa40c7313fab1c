"""`GET /api/v1/config/`: every limit a client must respect before it types or uploads.

Like Mastodon's instance `configuration` and Bluesky's upload limits, one answer
collects what each app enforces: text lengths, media types, bytes, pixels and
frames, media per post kind, the caller's quotas left now, and its request budgets.
It lives in config, the one layer that may read every app; each value is read from
the settings (or model constants) the enforcing code uses, at request time, so the
answer always matches the limits in force.
"""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.throttling import throttle_budgets
from drafts.models import BODY_MAX_LENGTH, TITLE_MAX_LENGTH, URL_MAX_LENGTH, DraftKind
from drafts.selectors import draft_live_count
from media_uploads.models import ALT_TEXT_MAX_LENGTH, CAPTION_MAX_LENGTH
from media_uploads.selectors import media_pending_count
from poster.models import (
    FLAIR_TEXT_MAX_LENGTH,
    GUIDELINES_MAX_LENGTH,
    RULE_MESSAGE_MAX_LENGTH,
)
from poster.services import media_count_range


class DraftLimitsSerializer(serializers.Serializer):
    kinds = serializers.ListField(child=serializers.CharField())
    title_max_length = serializers.IntegerField()
    body_max_length = serializers.IntegerField()
    url_max_length = serializers.IntegerField()
    url_schemes = serializers.ListField(child=serializers.CharField())
    max_live_per_user = serializers.IntegerField()
    live_left = serializers.IntegerField(help_text="Drafts you may still create.")


class MediaCountSerializer(serializers.Serializer):
    min = serializers.IntegerField()
    max = serializers.IntegerField()


class MediaLimitsSerializer(serializers.Serializer):
    supported_mime_types = serializers.ListField(child=serializers.CharField())
    max_bytes = serializers.IntegerField(help_text="Per file.")
    max_pixels = serializers.IntegerField(help_text="Width x height of a still image.")
    max_frames = serializers.IntegerField(help_text="Of an animation.")
    max_animation_pixels = serializers.IntegerField(
        help_text="Width x height x frames of an animation."
    )
    max_per_draft = serializers.IntegerField()
    count_by_kind = serializers.DictField(
        child=MediaCountSerializer(), help_text="Media a post of each kind takes."
    )
    alt_text_max_length = serializers.IntegerField()
    caption_max_length = serializers.IntegerField()
    lease_seconds = serializers.IntegerField(help_text="Time to upload after a lease.")
    max_pending_uploads = serializers.IntegerField()
    pending_uploads_left = serializers.IntegerField(
        help_text="Leases you may still take before finishing some."
    )


class CommunityLimitsSerializer(serializers.Serializer):
    flair_text_max_length = serializers.IntegerField()
    guidelines_max_length = serializers.IntegerField()
    rule_message_max_length = serializers.IntegerField()


class ThrottleBudgetSerializer(serializers.Serializer):
    scope = serializers.CharField(
        help_text="user counts every request; autosave, leases, publish their own."
    )
    limit = serializers.IntegerField()
    window_seconds = serializers.IntegerField()
    remaining = serializers.IntegerField(help_text="Left in the current window.")
    resets_in_seconds = serializers.IntegerField()


class ClientConfigApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ClientConfig"

        drafts = DraftLimitsSerializer()
        media = MediaLimitsSerializer()
        communities = CommunityLimitsSerializer()
        throttles = ThrottleBudgetSerializer(many=True)

    @extend_schema(
        operation_id="config_get",
        summary="Every limit a client must respect, and what is left of yours",
        description=(
            "Read it at start-up and before uploads. Values follow the server's "
            "settings; the *_left and remaining figures are yours, now (this request "
            "counts against the user budget like any other)."
        ),
        responses={200: OutputSerializer},
    )
    def get(self, request: Request) -> Response:
        user = request.user
        return Response(
            {
                "drafts": {
                    "kinds": list(DraftKind.values),
                    "title_max_length": TITLE_MAX_LENGTH,
                    "body_max_length": BODY_MAX_LENGTH,
                    "url_max_length": URL_MAX_LENGTH,
                    "url_schemes": ["http", "https"],
                    "max_live_per_user": settings.DRAFT_MAX_LIVE_PER_USER,
                    "live_left": max(
                        settings.DRAFT_MAX_LIVE_PER_USER - draft_live_count(owner=user),
                        0,
                    ),
                },
                "media": {
                    "supported_mime_types": list(settings.MEDIA_ALLOWED_CONTENT_TYPES),
                    "max_bytes": settings.MEDIA_MAX_BYTES,
                    "max_pixels": settings.MEDIA_MAX_PIXELS,
                    "max_frames": settings.MEDIA_MAX_FRAMES,
                    "max_animation_pixels": settings.MEDIA_MAX_ANIMATION_PIXELS,
                    "max_per_draft": settings.MEDIA_MAX_PER_DRAFT,
                    "count_by_kind": {
                        kind: dict(
                            zip(("min", "max"), media_count_range(kind), strict=True)
                        )
                        for kind in DraftKind.values
                    },
                    "alt_text_max_length": ALT_TEXT_MAX_LENGTH,
                    "caption_max_length": CAPTION_MAX_LENGTH,
                    "lease_seconds": settings.MEDIA_LEASE_SECONDS,
                    "max_pending_uploads": settings.MEDIA_MAX_PENDING,
                    "pending_uploads_left": max(
                        settings.MEDIA_MAX_PENDING - media_pending_count(owner=user),
                        0,
                    ),
                },
                "communities": {
                    "flair_text_max_length": FLAIR_TEXT_MAX_LENGTH,
                    "guidelines_max_length": GUIDELINES_MAX_LENGTH,
                    "rule_message_max_length": RULE_MESSAGE_MAX_LENGTH,
                },
                "throttles": throttle_budgets(user.pk),
            }
        )
