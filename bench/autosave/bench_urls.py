"""poster's URLs plus the baseline the autosave API is measured against."""

from django.urls import include, path

from bench.autosave.baseline import draft_body_update

urlpatterns = [
    path("bench/baseline/<uuid:draft_id>/", draft_body_update, name="bench-baseline"),
    path("", include("config.urls")),
]
