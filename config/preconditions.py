"""Conditional requests on versioned resources (RFC 9110 `If-Match`, RFC 6585 428).

A resource's ETag is its version number in quotes: `"7"`.
"""

import re

from rest_framework import status
from rest_framework.request import Request

from config.api_errors import ApiError

ETAG_VERSION = re.compile(r'^\s*(?:W/)?"?(\d{1,10})"?\s*$')


class PreconditionRequired(ApiError):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_code = "precondition_required"
    default_detail = (
        'Send If-Match: "<version>" with the version you last saw, '
        "so that no one's edit is overwritten."
    )


class PreconditionInvalid(ApiError):
    default_code = "invalid_precondition"
    default_detail = 'If-Match must be one version tag such as "7".'


def version_etag(version: int) -> str:
    return f'"{version}"'


def if_match_version(request: Request) -> int:
    """The version named by If-Match; 428 when missing, 400 when unreadable."""
    header = request.headers.get("If-Match")
    if header is None:
        raise PreconditionRequired()
    match = ETAG_VERSION.match(header)
    if match is None:
        raise PreconditionInvalid()
    return int(match.group(1))


def if_none_match_hits(request: Request, version: int) -> bool:
    header = request.headers.get("If-None-Match")
    if header is None:
        return False
    tags = [tag.strip() for tag in header.split(",")]
    return "*" in tags or any(
        (match := ETAG_VERSION.match(tag)) and int(match.group(1)) == version
        for tag in tags
    )
