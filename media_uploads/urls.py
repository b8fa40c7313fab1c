from django.urls import path

from config.api_routing import by_method
from media_uploads import apis

urlpatterns = [
    path(
        "",
        by_method(get=apis.MediaListApi, post=apis.MediaLeaseCreateApi),
        name="media-list",
    ),
    path(
        "<uuid:asset_id>/",
        by_method(
            get=apis.MediaDetailApi,
            patch=apis.MediaUpdateApi,
            delete=apis.MediaDeleteApi,
        ),
        name="media-detail",
    ),
    path(
        "<uuid:asset_id>/complete/",
        apis.MediaCompleteApi.as_view(),
        name="media-complete",
    ),
]
