from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config import health
from media_uploads.local_upload import local_public_media, local_upload
from poster.apis import MeApi

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
    path("api/v1/drafts/", include("drafts.urls")),
    path("api/v1/media/", include("media_uploads.urls")),
    path("api/v1/posts/", include("poster.urls")),
    path("api/v1/storage/upload/", local_upload, name="local-storage-upload"),
    path("media/<path:path>", local_public_media, name="local-public-media"),
]
