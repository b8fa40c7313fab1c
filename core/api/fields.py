"""Serializer fields for text people type."""

import re

from rest_framework import serializers

# NUL and lone surrogates cannot be stored (PostgreSQL rejects NUL; surrogates are not
# valid Unicode scalar values). One regex search runs in C, unlike DRF's per-character
# validators whose cost grows with text length.
FORBIDDEN_CHARACTERS = re.compile("[\x00\ud800-\udfff]")
# The same rule as a JSON Schema pattern (core.api.openapi documents every
# PlainTextField with it, or with a stricter `schema_pattern` of its own). Lone
# surrogates are left out: common regex engines (Rust's, which Schemathesis
# validates with) cannot name them, and a JSON text holding one is not valid
# Unicode anyway (RFC 8259, 8.2), so no generated client sends it.
PLAIN_TEXT_PATTERN = r"^[^\u0000]*$"


class PlainTextField(serializers.CharField):
    """Text kept exactly as typed (no trimming); rejects NUL and lone surrogates."""

    default_error_messages = {
        "forbidden_character": "Text may not contain NUL characters or lone surrogates."
    }

    def __init__(self, *, schema_pattern: str = PLAIN_TEXT_PATTERN, **kwargs) -> None:
        self.schema_pattern = schema_pattern
        kwargs.setdefault("trim_whitespace", False)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)
        self.validators = [
            validator
            for validator in self.validators
            if type(validator).__name__
            not in (
                "ProhibitNullCharactersValidator",
                "ProhibitSurrogateCharactersValidator",
            )
        ]

    def to_internal_value(self, data) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        if FORBIDDEN_CHARACTERS.search(data):
            self.fail("forbidden_character")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """true or false only: the schema says boolean, so "1", 0 or "yes" are 400."""

    def to_internal_value(self, data) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictIntegerField(serializers.IntegerField):
    """JSON integers only: the schema says integer, so "5", 5.0 or true are 400."""

    def to_internal_value(self, data) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


CANONICAL_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


class StrictUUIDField(serializers.UUIDField):
    """A UUID as the schema's `format: uuid` writes it (8-4-4-4-12 hex digits);
    DRF's own field also takes integers, URNs and undashed hex."""

    def to_internal_value(self, data):
        if not isinstance(data, str) or not CANONICAL_UUID.fullmatch(data):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)
