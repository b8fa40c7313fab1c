import pytest

from drafts.services import draft_create


@pytest.fixture
def draft(user):
    return draft_create(owner=user, changes={"title": "Hello", "body": "First words"})


@pytest.fixture
def other_users_draft(other_user):
    return draft_create(owner=other_user, changes={"title": "Not yours"})


def autosave(client, draft_id, version, **changes):
    return client.patch(
        f"/api/v1/drafts/{draft_id}/",
        changes,
        format="json",
        HTTP_IF_MATCH=f'"{version}"',
    )
