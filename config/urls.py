"""The URLconf: the one place that may import every app.

Each app's routes live in its own `urls.py`; the media routes that answer both media
operations and draft-aware ones (a lease into a draft, a move between drafts) are
composed here, since media_uploads may not import drafts; so is publishing, a
poster operation at a draft's address.
"""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config import health
from config.client_config import ClientConfigApi
from core.api.routing import by_method
from core.apis import MeApi
from core.event_apis import event_stream
from drafts.apis.media import MediaLeaseCreateApi, MediaUpdateApi
from media_uploads import apis as media_apis
from media_uploads.local_upload import local_public_media, local_upload
from media_uploads.urls import urlpatterns as media_only_urlpatterns
from poster.apis import CommunityDetailApi, DraftCheckApi, DraftPublishApi

media_urlpatterns = [
    path(
        "",
        by_method(get=media_apis.MediaListApi, post=MediaLeaseCreateApi),
        name="media-list",
    ),
    path(
        "<uuid:asset_id>/",
        by_method(
            get=media_apis.MediaDetailApi,
            patch=MediaUpdateApi,
            delete=media_apis.MediaDeleteApi,
        ),
        name="media-detail",
    ),
    *media_only_urlpatterns,
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="schema"),
        name="api-docs",
    ),
    path("api/v1/me/", MeApi.as_view(), name="me"),
    # Served as a stream by the ASGI events process; gunicorn answers 421 here.
    path("api/v1/events/", event_stream, name="events"),
    # Publishing turns a draft into a post: poster's API, at the draft's address.
    path(
        "api/v1/drafts/<uuid:draft_id>/publish/",
        DraftPublishApi.as_view(),
        name="draft-publish",
    ),
    # The check reads the draft against its community's rules: poster's API too.
    path(
        "api/v1/drafts/<uuid:draft_id>/check/",
        DraftCheckApi.as_view(),
        name="draft-check",
    ),
    path("api/v1/drafts/", include("drafts.urls")),
    path(
        "api/v1/communities/<str:name>/",
        CommunityDetailApi.as_view(),
        name="community-detail",
    ),
    path("api/v1/config/", ClientConfigApi.as_view(), name="client-config"),
    path("api/v1/media/", include(media_urlpatterns)),
    path("api/v1/posts/", include("poster.urls")),
    path("api/v1/storage/upload/", local_upload, name="local-storage-upload"),
    path("media/<path:path>", local_public_media, name="local-public-media"),
    # The composer page and the sign-in it needs (composer/urls.py); last, so that
    # resolving an API request never tries them.
    path("", RedirectView.as_view(pattern_name="compose"), name="home"),
    path("", include("composer.urls")),
]
