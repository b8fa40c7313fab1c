from django.urls import path

from config.api_routing import by_method
from media_uploads import apis

urlpatterns = [
    path("", apis.MediaLeaseCreateApi.as_view(), name="media-lease"),
    path(
        "<uuid:asset_id>/",
        by_method(
            get=apis.MediaDetailApi.as_view(),
            patch=apis.MediaUpdateApi.as_view(),
            delete=apis.MediaDeleteApi.as_view(),
        ),
        name="media-detail",
    ),
    path(
        "<uuid:asset_id>/complete/",
        apis.MediaCompleteApi.as_view(),
        name="media-complete",
    ),
]
