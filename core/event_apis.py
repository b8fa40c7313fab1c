"""GET /api/v1/events/: the signed-in user's live events as a server-sent stream.

Served by the ASGI process (config/asgi.py, uvicorn): an open stream is a coroutine,
not a thread. The request's checks (authentication, throttling, Last-Event-ID) run
through `EventStreamApi`, a plain DRF view, in a worker thread, so they answer as
every other API does; once they pass, the stream itself is asynchronous. Under WSGI
(gunicorn) the same view answers 421 with the stream's address instead of holding a
request thread for as long as the client listens.
"""

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.openapi import errors
from core.errors import Conflict, InvalidInput
from core.event_stream import (
    EventHub,
    event_hub,
    event_stream_messages,
    run_db,
)


class EventsServedElsewhere(Conflict):
    code = "events_served_elsewhere"
    message = "The event stream is served by the events process; open events_url."


class LastEventIdInvalid(InvalidInput):
    code = "last_event_id_invalid"
    message = "Last-Event-ID must be an event id this stream sent (an integer)."


def events_url(request: HttpRequest) -> str:
    """Where clients open the stream: EVENTS_URL, else this API's own origin."""
    return settings.EVENTS_URL or request.build_absolute_uri(reverse("events"))


# What last_event_id_parse takes: nothing (no replay) or an id of up to 18 digits.
LAST_EVENT_ID_PATTERN = r"^[0-9]{0,18}$"


def last_event_id_parse(request: HttpRequest) -> int | None:
    """The header's id, else the query parameter's; each given one must be an id."""
    given = [
        raw
        for raw in (
            request.headers.get("Last-Event-ID"),
            request.GET.get("last_event_id"),
        )
        if raw
    ]
    if any(not (raw.isascii() and raw.isdigit() and len(raw) <= 18) for raw in given):
        raise LastEventIdInvalid()
    return int(given[0]) if given else None


class StreamGranted(Response):
    """The checks passed: what the asynchronous side needs to open the stream."""

    def __init__(self, *, owner_id: int, last_event_id: int | None) -> None:
        super().__init__(status=200)
        self.owner_id = owner_id
        self.last_event_id = last_event_id


EVENT_STREAM_DESCRIPTION = """\
A `text/event-stream` of your own changes, so clients need not poll:

- `media.status`: `{"id", "status"}` for `uploaded`, `processing`, `ready` (with
  `variants`: name, width, height, format, size_bytes, url) and `failed` (with `code`
  and `message`).
- `post.status`: `{"id", "status"}` for `scheduled`, `pending_media`, `published`,
  `failed`, `removed` (and back to `published` when restored).
- `draft.saved`: `{"id", "version", "fields", "merged"}`: another device should
  refetch the draft. `draft.published` when a draft became a post.
- `stream.reset`: events since your Last-Event-ID are no longer kept (older than
  EVENTS_REPLAY_SECONDS): refetch what you show.

Each event has an `id:`; reconnect with `Last-Event-ID` (the header, or the
`last_event_id` query parameter) to receive, once and in order, what you missed.
`retry:` sets the reconnect delay; a comment line is sent every 15 s as a heartbeat.
Open it at the `events_url` of `GET /api/v1/me/`: the API's web process (WSGI)
answers 421 `events_served_elsewhere` with that address.
"""


class EventStreamApi(APIView):
    """The checks of GET /api/v1/events/; `event_stream` serves the stream."""

    def perform_content_negotiation(self, request: Request, force: bool = False):
        # EventSource sends Accept: text/event-stream; what this view itself answers
        # is always a JSON error (the stream is written by `event_stream`).
        renderer = JSONRenderer()
        return renderer, renderer.media_type

    @extend_schema(
        operation_id="events_stream",
        summary="Your live events (server-sent events)",
        description=EVENT_STREAM_DESCRIPTION,
        parameters=[
            OpenApiParameter(
                "Last-Event-ID",
                str,
                OpenApiParameter.HEADER,
                pattern=LAST_EVENT_ID_PATTERN,
                description="The id of the last event you received: replay from it.",
            ),
            OpenApiParameter(
                "last_event_id",
                str,
                OpenApiParameter.QUERY,
                pattern=LAST_EVENT_ID_PATTERN,
                description="Last-Event-ID for clients that cannot set headers.",
            ),
        ],
        responses={
            (200, "text/event-stream"): OpenApiResponse(
                OpenApiTypes.STR,
                description="The stream; it stays open. Cache-Control: no-cache, "
                "X-Accel-Buffering: no.",
            ),
            **errors(
                {
                    400: ["last_event_id_invalid"],
                    421: ["events_served_elsewhere"],
                    429: ["too_many_streams", "throttled"],
                }
            ),
        },
    )
    def get(self, request: Request) -> Response:
        last_event_id = last_event_id_parse(request)
        hub = getattr(request._request, "event_hub", None)
        if hub is None:  # not the ASGI events process
            raise EventsServedElsewhere(extra={"events_url": events_url(request)})
        hub.stream_reserve(request.user.pk)  # TooManyStreams past the limit
        return StreamGranted(owner_id=request.user.pk, last_event_id=last_event_id)


_checks = EventStreamApi.as_view()


class EventStreamResponse(StreamingHttpResponse):
    """The open stream; closing it (the client left) frees the user's stream slot."""

    def __init__(self, hub: EventHub, granted: StreamGranted) -> None:
        super().__init__(
            event_stream_messages(
                hub, owner_id=granted.owner_id, last_event_id=granted.last_event_id
            ),
            content_type="text/event-stream",
        )
        self["Cache-Control"] = "no-cache"
        self["X-Accel-Buffering"] = "no"
        self._hub, self._owner_id = hub, granted.owner_id

    def close(self) -> None:
        if self._hub is not None:
            self._hub.stream_release(self._owner_id)
            self._hub = None
        super().close()


def _checks_run(request: HttpRequest) -> HttpResponseBase:
    response = _checks(request)
    return response if isinstance(response, StreamGranted) else response.render()


async def event_stream(request: HttpRequest) -> HttpResponseBase:
    if not isinstance(request, ASGIRequest):
        # WSGI: 401, 400 or 421 with events_url, without holding the thread.
        return await sync_to_async(_checks_run)(request)
    request.event_hub = await event_hub()
    answer = await run_db(_checks_run, request=request)
    if not isinstance(answer, StreamGranted):
        return answer
    return EventStreamResponse(request.event_hub, answer)


# The OpenAPI generator documents the DRF view behind the asynchronous function.
event_stream.cls = EventStreamApi
event_stream.initkwargs = {}
