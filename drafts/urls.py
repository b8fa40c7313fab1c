from django.urls import path

from core.api.routing import by_method
from drafts import apis

urlpatterns = [
    path(
        "",
        by_method(get=apis.DraftListApi, post=apis.DraftCreateApi),
        name="draft-list",
    ),
    path(
        "<uuid:draft_id>/",
        by_method(
            get=apis.DraftDetailApi,
            patch=apis.DraftAutosaveApi,
            delete=apis.DraftDeleteApi,
        ),
        name="draft-detail",
    ),
    path(
        "<uuid:draft_id>/revisions/",
        apis.DraftRevisionListApi.as_view(),
        name="draft-revision-list",
    ),
    path(
        "<uuid:draft_id>/revisions/<int:number>/",
        apis.DraftRevisionDetailApi.as_view(),
        name="draft-revision-detail",
    ),
    path(
        "<uuid:draft_id>/revisions/<int:number>/restore/",
        apis.DraftRevisionRestoreApi.as_view(),
        name="draft-revision-restore",
    ),
]
