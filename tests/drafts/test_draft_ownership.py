"""Another user's draft does not exist for you: 404 on every endpoint."""

import pytest

from drafts.models import Draft, DraftRevision
from tests.drafts.conftest import autosave


@pytest.fixture
def foreign_draft(other_api, settings):
    settings.DRAFT_REVISION_INTERVAL = 0
    draft_id = other_api.post("/api/v1/drafts/", {"title": "theirs"}, format="json")
    draft_id = draft_id.json()["id"]
    autosave(other_api, draft_id, 1, title="theirs v2")
    return Draft.objects.get(id=draft_id)


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("get", "/", {}),
        ("patch", "/", {"HTTP_IF_MATCH": '"2"'}),
        ("delete", "/", {}),
        ("get", "/revisions/", {}),
        ("get", "/revisions/1/", {}),
        ("post", "/revisions/1/restore/", {"HTTP_IF_MATCH": '"2"'}),
    ],
)
def test_foreign_draft_is_404_everywhere(api, foreign_draft, method, path, headers):
    url = f"/api/v1/drafts/{foreign_draft.id}{path}"

    response = getattr(api, method)(
        url, {"title": "mine now"}, format="json", **headers
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    foreign_draft.refresh_from_db()
    assert (foreign_draft.title, foreign_draft.version) == ("theirs v2", 2)
    assert foreign_draft.deleted_at is None
    assert DraftRevision.objects.filter(draft=foreign_draft).count() == 1


def test_foreign_drafts_are_not_listed(api, foreign_draft):
    assert api.get("/api/v1/drafts/").json()["results"] == []


def test_unknown_or_malformed_ids_are_404(api):
    unknown = api.get("/api/v1/drafts/00000000-0000-0000-0000-000000000000/")
    malformed = api.get("/api/v1/drafts/not-a-uuid/")

    assert (unknown.status_code, malformed.status_code) == (404, 404)
    assert malformed.json()["error"]["code"] == "not_found"
