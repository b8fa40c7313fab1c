"""Every admin changelist and change page renders for staff, with real rows."""

import re

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from core.models import ApiToken
from core.tokens import token_digest
from drafts.services import draft_autosave, draft_create
from media_uploads.models import MediaVariant
from media_uploads.services import media_lease_create, stored_objects_delete_later
from poster.models import Community
from tests.admin.conftest import published_post


@pytest.fixture
def rows(user, local_storage, tmp_path, community):
    """A published image post, a draft with a revision, a lease, a pending deletion."""
    post = published_post(user, local_storage, tmp_path)
    draft = draft_create(owner=user, changes={"title": "Half written"})
    draft_autosave(
        draft_id=draft.id, owner=user, base_version=1, changes={"body": "More"}
    )
    media_lease_create(
        owner=user, filename="later.png", content_type="image/png", size_bytes=10
    )
    stored_objects_delete_later(["media/gone/w160.webp"])
    return {"post": post, "asset": post.media.get().asset, "draft": draft}


def page_urls(rows, user) -> list[str]:
    post, asset, draft = rows["post"], rows["asset"], rows["draft"]
    return [
        "/admin/",
        "/admin/drafts/draft/",
        f"/admin/drafts/draft/{draft.id}/change/",
        "/admin/media_uploads/mediaasset/",
        f"/admin/media_uploads/mediaasset/{asset.id}/change/",
        "/admin/media_uploads/storedobjectdeletion/",
        "/admin/poster/post/",
        f"/admin/poster/post/{post.id}/change/",
        "/admin/poster/community/",
        "/admin/poster/community/add/",
        f"/admin/poster/community/{post.community_id}/change/",
        "/admin/core/apitoken/",
        "/admin/core/apitoken/add/",
        f"/admin/core/apitoken/{user.api_tokens.first().pk}/change/",
    ]


def test_every_admin_page_renders_for_staff(admin_client, rows, user):
    statuses = {url: admin_client.get(url).status_code for url in page_urls(rows, user)}

    assert statuses == {url: 200 for url in page_urls(rows, user)}


def test_media_changelist_shows_a_thumbnail_the_local_backend_serves(
    admin_client, rows
):
    asset = rows["asset"]

    page = admin_client.get("/admin/media_uploads/mediaasset/").content.decode()
    image = admin_client.get(f"/media/{asset.id}/w160.webp")

    assert f'<img src="/media/{asset.id}/w160.webp" width="160" height="120"' in page
    assert "Ready (1)" in page
    assert "Awaiting upload (1)" in page
    assert "400 × 300" in page
    assert (image.status_code, image["Content-Type"]) == (200, "image/webp")


def test_media_change_page_shows_every_derivative_and_the_original(admin_client, rows):
    asset = rows["asset"]
    variants = list(MediaVariant.objects.filter(asset=asset))

    page = admin_client.get(
        f"/admin/media_uploads/mediaasset/{asset.id}/change/"
    ).content.decode()

    assert "Derivatives" in page
    assert len(variants) >= 3
    for variant in variants:
        assert f'<img src="/media/{asset.id}/{variant.key.split("/")[-1]}"' in page
        assert f"{variant.width} × {variant.height}" in page
    for original_fact in ("sunset.jpg", "image/jpeg", asset.sha256, "400 × 300"):
        assert original_fact in page
    assert 'name="_save"' not in page


def test_post_and_draft_pages_show_media_thumbnails_and_revisions(admin_client, rows):
    asset, draft = rows["asset"], rows["draft"]

    posts = admin_client.get("/admin/poster/post/").content.decode()
    post_page = admin_client.get(
        f"/admin/poster/post/{rows['post'].id}/change/"
    ).content.decode()
    draft_page = admin_client.get(
        f"/admin/drafts/draft/{draft.id}/change/"
    ).content.decode()

    thumbnail = f'<img src="/media/{asset.id}/w160.webp"'
    assert thumbnail in posts
    assert thumbnail in post_page
    assert "Draft revisions" in draft_page
    assert "Revision 1 of" in draft_page
    assert "Autosave" in draft_page


def test_draft_search_finds_by_title_owner_and_id(admin_client, user, other_user):
    mine = draft_create(owner=user, changes={"title": "Sunset over the bay"})
    theirs = draft_create(owner=other_user, changes={"title": "Lunch"})

    def found(term: str) -> set:
        response = admin_client.get("/admin/drafts/draft/", {"q": term})
        return {draft.id for draft in response.context["cl"].result_list}

    assert found("sunset") == {mine.id}
    assert found("mallory") == {theirs.id}
    assert found(str(theirs.id)) == {theirs.id}


def test_non_staff_user_is_sent_to_the_login_page(client, user):
    client.force_login(user)

    response = client.get("/admin/poster/post/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/poster/post/"


# The community page carries its rules and flairs inline: empty formsets here.
NO_RULES_OR_FLAIRS = {
    f"{prefix}-{name}": "0"
    for prefix in ("rules", "flairs")
    for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS")
}


def test_staff_creates_and_edits_a_community(admin_client):
    created = admin_client.post(
        "/admin/poster/community/add/",
        {
            "name": "python",
            "title": "Python",
            "allowed_kinds": ["text", "link"],
            "is_active": "on",
            **NO_RULES_OR_FLAIRS,
        },
    )
    community = Community.objects.get(name="python")
    edited = admin_client.post(
        f"/admin/poster/community/{community.id}/change/",
        {
            "name": "python",
            "title": "Python people",
            "allowed_kinds": ["image"],
            **NO_RULES_OR_FLAIRS,
        },
    )
    community.refresh_from_db()

    assert (created.status_code, edited.status_code) == (302, 302)
    assert (community.title, community.allowed_kinds, community.is_active) == (
        "Python people",
        ["image"],
        False,
    )


def test_staff_creates_and_revokes_an_api_token(admin_client):
    bob = get_user_model().objects.create_user(username="bob")

    created = admin_client.post(
        "/admin/core/apitoken/add/", {"user": bob.pk, "name": "ci", "expires_at": ""}
    )
    # The next page shows the key once; no page shows it again.
    pages = [admin_client.get(created["Location"]) for _ in range(2)]
    key = re.search(
        r"The new token is ([0-9a-f]{40})", pages[0].content.decode()
    ).group(1)
    token = ApiToken.objects.get(user=bob)
    works = APIClient(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/me/")
    revoked = admin_client.post(
        "/admin/core/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk], "index": "0"},
    )
    refused = APIClient(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/me/")

    assert (created.status_code, revoked.status_code) == (302, 302)
    assert key not in pages[1].content.decode()
    assert token.digest == token_digest(key)
    assert (token.name, token.expires_at) == ("ci", None)
    assert (works.status_code, refused.status_code) == (200, 401)
    assert ApiToken.objects.get(user=bob).revoked_at is not None
