from django.contrib import admin
from django.urls import include, path

from config import health
from poster.apis import MeApi

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/v1/me/", MeApi.as_view(), name="me"),
    path("api/v1/drafts/", include("drafts.urls")),
]
