"""How drafts are read from and written to JSON, errors included."""

import re

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from core.api.fields import (
    PlainTextField,
    StrictBooleanField,
    StrictUUIDField,
)
from core.api.preconditions import version_etag
from core.api.serializers import HotPathSerializer
from drafts.models import (
    BODY_MAX_LENGTH,
    COMMUNITY_NAME_PATTERN,
    EDITABLE_FIELDS,
    TITLE_MAX_LENGTH,
    URL_MAX_LENGTH,
    Draft,
    DraftKind,
)
from drafts.services import (
    DraftConflict,
)
from media_uploads.models import MediaAsset

# A draft's URL may be half typed; only its scheme is checked here. Publishing
# checks that it is a complete http(s) URL.
URL_SCHEME_PREFIXES = ("http://", "https://")
# draft_url_validate as a schema pattern: empty, a start of "http://" or "https://",
# or an http(s) link with no whitespace (nor NUL). Python's \s also takes
# \x1c-\x1f, which Unicode's White_Space (other engines' \s) does not: name them.
DRAFT_URL_PATTERN = (
    r"^(?:[Hh][Tt][Tt][Pp][Ss]?://[^\s\x1c-\x1f\u0000]*"
    r"|[Hh](?:[Tt](?:[Tt](?:[Pp](?:[Ss]?(?::/?)?)?)?)?)?)?$"
)
# A community name, or empty while the author has not chosen one yet.
DRAFT_COMMUNITY_PATTERN = "^(?:" + COMMUNITY_NAME_PATTERN.strip("^$") + ")?$"


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


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "format": "uuid"},
        "uniqueItems": True,
    }
)
class MediaIdListField(serializers.ListField):
    """Media ids in order; each may appear once (validate_media)."""


class DraftInputSerializer(HotPathSerializer):
    """The editable fields; unknown fields are an error, not silently dropped."""

    # The schema says so (additionalProperties: false), and that a PATCH changes
    # at least one field (400 no_changes otherwise).
    rejects_unknown_fields = True
    patch_requires_a_field = True

    kind = serializers.ChoiceField(choices=DraftKind.choices)
    title = PlainTextField(max_length=TITLE_MAX_LENGTH)
    body = PlainTextField(max_length=BODY_MAX_LENGTH)
    url = PlainTextField(
        max_length=URL_MAX_LENGTH,
        validators=[draft_url_validate],
        schema_pattern=DRAFT_URL_PATTERN,
    )
    community = PlainTextField(max_length=21, schema_pattern=DRAFT_COMMUNITY_PATTERN)
    is_nsfw = StrictBooleanField()
    is_spoiler = StrictBooleanField()
    # A flair id of the draft's community (GET /api/v1/communities/{name}/ lists
    # them); null for none. Checked against the community by check and publish.
    flair = serializers.IntegerField(
        min_value=1, max_value=2_147_483_647, allow_null=True
    )
    # The limit of media per draft is the service's to enforce (403).
    media = MediaIdListField(child=StrictUUIDField())

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            return super().to_internal_value(data)  # answers "invalid"
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                dict.fromkeys(unknown, ["This field is not known."])
            )
        if not self.partial:
            return super().to_internal_value(data)
        # An autosave sends a few of the fields: validate those alone, instead of
        # visiting every field and skipping the absent ones by exception.
        validated, errors = {}, {}
        for name, value in data.items():
            try:
                value = self.fields[name].run_validation(value)
                field_validator = getattr(self, f"validate_{name}", None)
                validated[name] = field_validator(value) if field_validator else value
            except serializers.ValidationError as error:
                errors[name] = error.detail
        if errors:
            raise serializers.ValidationError(errors)
        return validated

    def validate_media(self, value: list) -> list:
        if len(set(value)) != len(value):
            raise serializers.ValidationError("Each media may appear once.")
        return value

    def validate_community(self, value: str) -> str:
        if value and not re.fullmatch(COMMUNITY_NAME_PATTERN, value):
            raise serializers.ValidationError(
                "A community name has 3 to 21 letters, digits or underscores."
            )
        return value


class DraftCreateInputSerializer(DraftInputSerializer):
    """A new draft's fields, any of them: media are attached after it exists."""

    takes_any_subset = True

    class Meta:
        ref_name = "DraftCreate"

    media = None


class DraftFieldsSerializer(serializers.ModelSerializer):
    """A draft without its media: what the autosave fast path knows after its write."""

    class Meta:
        model = Draft
        fields = [
            "id",
            *EDITABLE_FIELDS,
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
            media = MediaAsset.objects.held_by(draft.id)
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
        "flair": draft.flair,
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


def draft_conflict_answer(conflict: DraftConflict) -> tuple[dict, dict]:
    """What a 412 edit_conflict carries beside its code: current draft and ETag."""
    return (
        {"current": DraftOutputSerializer(conflict.draft).data},
        {"ETag": version_etag(conflict.draft.version)},
    )
