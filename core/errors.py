"""Domain errors: what a service refuses, in words a client and a person can use.

A service raises a subclass with a machine `code` and a `message`; it knows nothing of
HTTP. `config.api_errors` maps each class to its status in one table and renders the
common error shape, so the same refusal reads the same from every API, task and admin
action that meets it.

    class DraftNotFound(NotFound):
        code = "not_found"
        message = "No such draft."
"""

from typing import Any


class DomainError(Exception):
    """A refusal with a machine `code`, a `message` and optional body members.

    `extra` holds members the answer carries beside code and message (`fields` for
    per-field messages); `retry_after_seconds` says when trying again may succeed.
    """

    code = "invalid_request"
    message = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        extra: dict[str, Any] | None = None,
        retry_after_seconds: int | None = None,
    ) -> None:
        self.message = message or type(self).message
        self.code = code or type(self).code
        self.extra = extra or {}
        self.retry_after_seconds = retry_after_seconds
        super().__init__(self.message)


class InvalidInput(DomainError):
    """The request's values break a rule; `extra["fields"]` names the fields."""

    code = "validation_error"

    @classmethod
    def for_field(cls, field: str, message: str, *, summary: str) -> "InvalidInput":
        return cls(summary, extra={"fields": {field: [message]}})


class NotFound(DomainError):
    """The object does not exist, or is not the caller's (the same answer for both)."""

    code = "not_found"
    message = "Nothing is found here."


class Conflict(DomainError):
    """The object's state forbids the action now."""


class LimitReached(DomainError):
    """A per-user limit (drafts, media per draft) is used up."""


class TooManyRequests(DomainError):
    """Too much at once; `retry_after_seconds` says when to try again."""


class Unavailable(DomainError):
    """A service this one depends on does not answer; retry shortly."""

    code = "service_unavailable"
    message = "A service poster depends on is not reachable; retry shortly."
