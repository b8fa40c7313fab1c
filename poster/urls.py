from django.urls import path

from core.api.routing import by_method
from poster import apis

urlpatterns = [
    path("", apis.PostListApi.as_view(), name="post-list"),
    path(
        "<uuid:post_id>/",
        by_method(get=apis.PostDetailApi, delete=apis.PostDeleteApi),
        name="post-detail",
    ),
    path("<uuid:post_id>/cancel/", apis.PostCancelApi.as_view(), name="post-cancel"),
]
