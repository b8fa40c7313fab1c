"""The composer page. It is static HTML and JavaScript modules: everything it shows
comes from the public API under /api/v1/ and the event stream, so the page holds no
data of its own and imports no app."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

# The page loads nothing from elsewhere; uploads go to storage and the stream may
# live on another origin (EVENTS_URL), so connect-src and img-src name those.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' blob: data: {media}; connect-src 'self' {connect}; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def _origin(url: str) -> str:
    """scheme://host[:port] of an absolute URL; empty for a relative one."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}" if rest else ""


def content_security_policy() -> str:
    storage = [
        _origin(url)
        for url in (settings.S3_ENDPOINT_URL, settings.MEDIA_PUBLIC_BASE_URL)
        if url
    ]
    if settings.STORAGE_BACKEND == "s3" and not settings.S3_ENDPOINT_URL:
        storage.append("https://*.amazonaws.com")  # AWS: the bucket's own host
    connect = [*storage, _origin(settings.EVENTS_URL)]
    return CONTENT_SECURITY_POLICY.format(
        media=" ".join(sorted(set(storage))),
        connect=" ".join(sorted({origin for origin in connect if origin})),
    )


@login_required
@ensure_csrf_cookie
def compose(request: HttpRequest) -> HttpResponse:
    response = render(request, "composer/compose.html")
    response["Content-Security-Policy"] = content_security_policy()
    response["Cache-Control"] = "no-store"
    return response
