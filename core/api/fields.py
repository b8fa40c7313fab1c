"""Serializer fields for text people type."""

import re

from rest_framework import serializers

# NUL and lone surrogates cannot be stored (PostgreSQL rejects NUL; surrogates are not
# valid Unicode scalar values). One regex search runs in C, unlike DRF's per-character
# validators whose cost grows with text length.
FORBIDDEN_CHARACTERS = re.compile("[\x00\ud800-\udfff]")


class PlainTextField(serializers.CharField):
    """Text kept exactly as typed (no trimming); rejects NUL and lone surrogates."""

    default_error_messages = {
        "forbidden_character": "Text may not contain NUL characters or lone surrogates."
    }

    def __init__(self, **kwargs) -> None:
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
