from django.urls import path

from media_uploads import apis

# The routes that also take a draft (lease, update) are composed in config.urls with
# drafts' APIs.
urlpatterns = [
    path(
        "<uuid:asset_id>/complete/",
        apis.MediaCompleteApi.as_view(),
        name="media-complete",
    ),
]
