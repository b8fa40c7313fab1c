"""The ASGI application the events process (uvicorn) serves.

It is Django with the same URLconf, so it can answer any route, but it exists for
GET /api/v1/events/ (core/event_apis.py): an open event stream is a coroutine here,
where under gunicorn it would hold a thread. Every other route stays on gunicorn.

    uvicorn config.asgi:application --lifespan off --port 8001
"""

import os

from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402  (after the settings module is chosen)

django.setup(set_prefix=False)


class EventStreamHandler(ASGIHandler):
    """Django's ASGI handler, minus one thread per open request.

    Django runs each request in its own ThreadSensitiveContext, which keeps a thread
    alive until the response ends: for event streams, one idle thread per client.
    Without it the synchronous middleware of every request shares one thread (each
    holds it for microseconds while the request starts), and the stream's database
    work runs on the small pool of core/event_stream.py.
    """

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP, not {scope['type']}")
        await self.handle(scope, receive, send)


application = EventStreamHandler()
