"""Conditional requests on versioned resources (RFC 9110 `If-Match`, RFC 6585 428).

A resource's ETag is its version number in quotes: `"7"`. If-None-Match is parsed with
Django's `parse_etags`. `If-Match` compares strongly (RFC 9110 13.1.1), so a weak tag
(`W/"7"`) there never matches: 412 `precondition_failed`.
"""

import re

from django.utils.http import parse_etags
from rest_framework.request import Request

from core.errors import DomainError, InvalidInput

# ASCII digits only: `\d` would also take other scripts' digits, which the schema's
# pattern (shared with core.api.openapi) does not.
VERSION_TAG_PATTERN = r'^"[0-9]{1,10}"$'
VERSION_TAG = re.compile(r'"([0-9]{1,10})"')
# The whole If-Match header: one tag, maybe weak. Checked as a whole, so that no
# list or trailing text the schema forbids slips through Django's lenient parser.
IF_MATCH_VALUE = re.compile(r'(?P<weak>W/)?"(?P<version>[0-9]{1,10})"')


class PreconditionRequired(DomainError):
    code = "precondition_required"
    message = (
        'Send If-Match: "<version>" with the version you last saw, '
        "so that no one's edit is overwritten."
    )


class PreconditionInvalid(InvalidInput):
    code = "invalid_precondition"
    message = 'If-Match must be one version tag such as "7".'


class PreconditionFailed(DomainError):
    code = "precondition_failed"
    message = 'If-Match needs a strong tag such as "7"; a weak tag never matches.'


def version_etag(version: int) -> str:
    return f'"{version}"'


def _tag_version(tag: str) -> int | None:
    match = VERSION_TAG.fullmatch(tag)
    return int(match.group(1)) if match else None


def if_match_version(request: Request) -> int:
    """The version named by If-Match; 428 when missing, 400 when unreadable, 412
    for a weak tag."""
    header = request.headers.get("If-Match")
    if header is None:
        raise PreconditionRequired()
    match = IF_MATCH_VALUE.fullmatch(header.strip())
    if match is None:
        raise PreconditionInvalid()
    if match["weak"]:
        raise PreconditionFailed()
    return int(match["version"])


def if_none_match_hits(request: Request, version: int) -> bool:
    """Whether If-None-Match names the current version (weak comparison, as RFC 9110
    says for If-None-Match) or `*`."""
    header = request.headers.get("If-None-Match")
    if header is None:
        return False
    return any(
        tag == "*" or _tag_version(tag.removeprefix("W/")) == version
        for tag in parse_etags(header)
    )
