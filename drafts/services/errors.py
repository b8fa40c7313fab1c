"""What draft services refuse, and the shape of a change."""

from typing import Any

from rest_framework import status

from config.api_errors import ApiError
from drafts.models import (
    Draft,
)

DraftChanges = dict[str, Any]


class DraftNotFound(ApiError):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = "not_found"
    default_detail = "No such draft."


class DraftRevisionNotFound(DraftNotFound):
    default_detail = "No such revision of this draft."


class DraftPublished(ApiError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "draft_published"
    default_detail = (
        "This draft became a post; cancel a scheduled post to edit the draft again."
    )


class DraftLimitReached(ApiError):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "draft_limit_reached"
    default_detail = "You have reached the limit of live drafts; delete some first."


class DraftConflict(Exception):
    """The edit touches fields somebody else changed since the client's version."""

    def __init__(self, *, draft: Draft, conflicting_fields: list[str]) -> None:
        super().__init__(f"conflict on {conflicting_fields}")
        self.draft = draft
        self.conflicting_fields = conflicting_fields
