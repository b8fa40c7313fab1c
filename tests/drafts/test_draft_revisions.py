from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from drafts.models import DraftRevision
from drafts.services import draft_create
from tests.drafts.conftest import autosave


def test_autosaves_take_at_most_one_snapshot_per_interval(api, draft, settings):
    settings.DRAFT_REVISION_INTERVAL = 60
    start = timezone.now()

    with mock.patch("django.utils.timezone.now", return_value=start):
        autosave(api, draft.id, 1, body="a")
        autosave(api, draft.id, 2, body="ab")
    with mock.patch(
        "django.utils.timezone.now", return_value=start + timedelta(seconds=59)
    ):
        autosave(api, draft.id, 3, body="abc")
    with mock.patch(
        "django.utils.timezone.now", return_value=start + timedelta(seconds=61)
    ):
        autosave(api, draft.id, 4, body="abcd")

    snapshots = list(
        DraftRevision.objects.filter(draft=draft)
        .order_by("number")
        .values_list("number", "draft_version", "reason", "body")
    )
    assert snapshots == [(1, 2, "autosave", "a"), (2, 5, "autosave", "abcd")]


def test_only_the_newest_50_revisions_are_kept(api, user, draft, settings):
    settings.DRAFT_REVISION_INTERVAL = 0
    neighbour = draft_create(owner=user, changes={})
    for version in range(1, 4):
        autosave(api, neighbour.id, version, body=f"other {version}")
    for version in range(1, 56):
        autosave(api, draft.id, version, body=f"text {version}")

    numbers = list(
        DraftRevision.objects.filter(draft=draft)
        .order_by("number")
        .values_list("number", flat=True)
    )
    assert numbers == list(range(6, 56))
    assert DraftRevision.objects.filter(draft=neighbour).count() == 3  # its own


# Transactional, so the statements are those production runs (no test savepoints).
@pytest.mark.django_db(transaction=True)
def test_snapshot_past_the_kept_50_is_still_one_statement(api, draft, settings):
    settings.DRAFT_REVISION_INTERVAL = 0
    for version in range(1, 52):
        autosave(api, draft.id, version, body=f"text {version}")

    with CaptureQueriesContext(connection) as captured:
        autosave(api, draft.id, 52, body="text 52")

    # Token, the conditional UPDATE (with its outbox insert, in a WITH), then the
    # snapshot that also prunes.
    assert [q["sql"].split()[0] for q in captured.captured_queries] == [
        "SELECT",
        "WITH",
        "WITH",
    ]
    numbers = DraftRevision.objects.filter(draft=draft).values_list("number", flat=True)
    assert sorted(numbers) == list(range(3, 53))


def test_revisions_are_listed_newest_first_and_readable(api, draft, settings):
    settings.DRAFT_REVISION_INTERVAL = 0
    autosave(api, draft.id, 1, title="v2")
    autosave(api, draft.id, 2, title="v3")

    listing = api.get(f"/api/v1/drafts/{draft.id}/revisions/")
    detail = api.get(f"/api/v1/drafts/{draft.id}/revisions/1/")

    assert listing.status_code == 200
    assert [(r["number"], r["title"]) for r in listing.json()["results"]] == [
        (2, "v3"),
        (1, "v2"),
    ]
    assert detail.status_code == 200
    assert (detail.json()["title"], detail.json()["body"]) == ("v2", "First words")
    assert detail.json()["draft_version"] == 2


def test_restore_makes_a_new_version_equal_to_the_revision(api, draft, settings):
    settings.DRAFT_REVISION_INTERVAL = 0
    autosave(api, draft.id, 1, title="Good title", body="Good body")
    autosave(api, draft.id, 2, title="Oops", body="Deleted everything")

    response = api.post(
        f"/api/v1/drafts/{draft.id}/revisions/1/restore/", HTTP_IF_MATCH='"3"'
    )

    assert response.status_code == 200
    assert response["ETag"] == '"4"'
    body = response.json()
    assert (body["title"], body["body"], body["version"]) == (
        "Good title",
        "Good body",
        4,
    )
    before_restore = DraftRevision.objects.get(draft=draft, reason="before_restore")
    assert (before_restore.title, before_restore.draft_version) == ("Oops", 3)


def test_restore_needs_if_match_and_refuses_a_stale_one(api, draft, settings):
    settings.DRAFT_REVISION_INTERVAL = 0
    autosave(api, draft.id, 1, title="v2")
    autosave(api, draft.id, 2, title="v3")
    url = f"/api/v1/drafts/{draft.id}/revisions/1/restore/"

    missing = api.post(url)
    stale = api.post(url, HTTP_IF_MATCH='"2"')

    assert missing.status_code == 428
    assert stale.status_code == 412
    assert stale.json()["error"]["code"] == "edit_conflict"
    assert stale.json()["error"]["conflicting_fields"] == ["title"]
    draft.refresh_from_db()
    assert (draft.title, draft.version) == ("v3", 3)
    assert not DraftRevision.objects.filter(reason="before_restore").exists()


def test_unknown_revision_is_404(api, draft):
    response = api.get(f"/api/v1/drafts/{draft.id}/revisions/7/")
    restore = api.post(
        f"/api/v1/drafts/{draft.id}/revisions/7/restore/", HTTP_IF_MATCH='"1"'
    )

    assert (response.status_code, restore.status_code) == (404, 404)
    assert response.json()["error"]["code"] == "not_found"
