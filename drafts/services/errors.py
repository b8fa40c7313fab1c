"""What draft services refuse, and the shape of a change."""

from typing import Any

from core.errors import Conflict, DomainError, LimitReached, NotFound
from drafts.models import Draft

DraftChanges = dict[str, Any]


class DraftNotFound(NotFound):
    message = "No such draft."


class DraftRevisionNotFound(DraftNotFound):
    message = "No such revision of this draft."


class DraftPublished(Conflict):
    code = "draft_published"
    message = (
        "This draft became a post; cancel a scheduled post to edit the draft again."
    )


class DraftLimitReached(LimitReached):
    code = "draft_limit_reached"
    message = "You have reached the limit of live drafts; delete some first."


class DraftConflict(DomainError):
    """The edit touches fields somebody else changed since the client's version."""

    code = "edit_conflict"
    message = "Someone changed this draft since your version; merge and retry."

    def __init__(self, *, draft: Draft, conflicting_fields: list[str]) -> None:
        super().__init__(extra={"conflicting_fields": conflicting_fields})
        self.draft = draft
        self.conflicting_fields = conflicting_fields
