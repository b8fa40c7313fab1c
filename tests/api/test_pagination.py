"""Every list is cursor-paginated with a `next` link."""

import pytest

from drafts.services import draft_create
from media_uploads.services import media_lease_create
from tests.drafts.conftest import autosave
from tests.poster.conftest import draft_with_media, publish


def walk(api, url: str) -> list[dict]:
    items = []
    while url:
        page = api.get(url).json()
        items += page["results"]
        url = page["next"]
    return items


def test_drafts_list_pages(api, user):
    for i in range(5):
        draft_create(owner=user, changes={"title": f"d{i}"})

    first = api.get("/api/v1/drafts/?page_size=2").json()

    assert len(first["results"]) == 2
    assert first["next"].startswith("http://testserver/api/v1/drafts/?cursor=")
    assert len(walk(api, "/api/v1/drafts/?page_size=2")) == 5


def test_revisions_list_pages(api, draft, settings):
    settings.DRAFT_REVISION_INTERVAL = 0
    for version in range(1, 6):
        autosave(api, draft.id, version, body=f"v{version}")

    items = walk(api, f"/api/v1/drafts/{draft.id}/revisions/?page_size=2")

    assert [r["number"] for r in items] == [5, 4, 3, 2, 1]


def test_media_list_pages_and_shows_only_mine(api, user, other_user, local_storage):
    leases = [
        media_lease_create(
            owner=owner, filename="a.png", content_type="image/png", size_bytes=4
        )
        for owner in (user, user, user, other_user)
    ]

    first = api.get("/api/v1/media/?page_size=2").json()

    assert first["next"] is not None
    listed = {item["id"] for item in walk(api, "/api/v1/media/?page_size=2")}
    assert listed == {str(lease.asset.id) for lease in leases[:3]}


@pytest.mark.usefixtures("community")
def test_posts_list_pages(api, user):
    for i in range(3):
        draft, _ = draft_with_media(user, title=f"p{i}")
        publish(api, draft)

    items = walk(api, "/api/v1/posts/?community=pics&page_size=2")

    assert [p["title"] for p in items] == ["p2", "p1", "p0"]


def test_a_forged_cursor_is_404(api):
    response = api.get("/api/v1/drafts/?cursor=bz14")  # "o=x": not an offset

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
