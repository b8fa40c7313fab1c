from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from drafts.models import Draft, DraftRevision
from drafts.services import draft_create, draft_undelete, drafts_purge_deleted
from drafts.tasks import drafts_purge_deleted_task
from tests.drafts.conftest import autosave


def test_get_returns_the_draft_with_its_etag(api, draft):
    response = api.get(f"/api/v1/drafts/{draft.id}/")

    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    assert response.json()["title"] == "Hello"


def test_get_with_current_if_none_match_is_304(api, draft):
    current = api.get(f"/api/v1/drafts/{draft.id}/", HTTP_IF_NONE_MATCH='"1"')
    autosave(api, draft.id, 1, title="changed")
    stale = api.get(f"/api/v1/drafts/{draft.id}/", HTTP_IF_NONE_MATCH='"1"')

    assert current.status_code == 304
    assert current.content == b""
    assert stale.status_code == 200
    assert stale.json()["title"] == "changed"


def test_browsers_never_store_a_draft(api, draft):
    """Its ETag covers the draft's fields, not its media: a stored copy revalidated
    with If-None-Match would keep a stale media list."""
    fresh = api.get(f"/api/v1/drafts/{draft.id}/")
    current = api.get(f"/api/v1/drafts/{draft.id}/", HTTP_IF_NONE_MATCH='"1"')

    assert fresh["Cache-Control"] == current["Cache-Control"] == "no-store"


def test_a_304_reads_the_draft_and_nothing_else(api, draft):
    with CaptureQueriesContext(connection) as queries:
        current = api.get(f"/api/v1/drafts/{draft.id}/", HTTP_IF_NONE_MATCH='"1"')

    assert current.status_code == 304
    tables = {
        table
        for query in queries
        for table in ("core_apitoken", "drafts_draft", "media_uploads_mediaasset")
        if f'"{table}"' in query["sql"]
    }
    assert tables == {"core_apitoken", "drafts_draft"}


def test_list_shows_live_drafts_most_recently_updated_first_by_cursor(api, user):
    drafts = [draft_create(owner=user, changes={"title": f"d{i}"}) for i in range(5)]
    autosave(api, drafts[1].id, 1, title="d1 edited")
    api.delete(f"/api/v1/drafts/{drafts[3].id}/")

    first_page = api.get("/api/v1/drafts/?page_size=2").json()
    second_page = api.get(first_page["next"]).json()

    titles = [d["title"] for page in (first_page, second_page) for d in page["results"]]
    assert titles == ["d1 edited", "d4", "d2", "d0"]
    assert second_page["next"] is None


def test_delete_hides_the_draft_from_its_owner(api, draft):
    deleted = api.delete(f"/api/v1/drafts/{draft.id}/")

    assert deleted.status_code == 204
    assert api.get(f"/api/v1/drafts/{draft.id}/").status_code == 404
    assert autosave(api, draft.id, 1, title="x").status_code == 404
    assert api.delete(f"/api/v1/drafts/{draft.id}/").status_code == 404
    assert api.get("/api/v1/drafts/").json()["results"] == []
    draft.refresh_from_db()
    assert draft.deleted_at is not None
    assert draft.title == "Hello"


def test_staff_can_undelete_within_retention(api, draft):
    api.delete(f"/api/v1/drafts/{draft.id}/")

    draft_undelete(draft_id=draft.id)

    assert api.get(f"/api/v1/drafts/{draft.id}/").status_code == 200


def test_purge_removes_drafts_deleted_more_than_30_days_ago(user):
    now = timezone.now()
    old = draft_create(owner=user, changes={"title": "old"})
    recent = draft_create(owner=user, changes={"title": "recent"})
    live = draft_create(owner=user, changes={"title": "live"})
    Draft.objects.filter(id=old.id).update(deleted_at=now - timedelta(days=30, hours=1))
    Draft.objects.filter(id=recent.id).update(deleted_at=now - timedelta(days=29))

    purged = drafts_purge_deleted(now=now)

    assert purged == 1
    assert set(Draft.objects.values_list("title", flat=True)) == {"recent", "live"}
    assert live.id in set(Draft.objects.values_list("id", flat=True))


def test_purge_task_runs_on_a_real_worker(celery_worker, user):
    old = draft_create(owner=user, changes={"title": "old"})
    Draft.objects.filter(id=old.id).update(
        deleted_at=timezone.now() - timedelta(days=31)
    )

    result = drafts_purge_deleted_task.apply_async(ignore_result=False)

    assert result.get(timeout=20) == 1
    assert not Draft.objects.filter(id=old.id).exists()


def test_deleted_draft_keeps_its_revisions_until_the_purge_takes_both(
    api, user, draft, settings
):
    settings.DRAFT_REVISION_INTERVAL = 0
    autosave(api, draft.id, 1, body="one")
    autosave(api, draft.id, 2, body="two")
    kept = draft_create(owner=user, changes={"title": "kept"})
    autosave(api, kept.id, 1, body="kept")
    revisions_url = f"/api/v1/drafts/{draft.id}/revisions/"

    api.delete(f"/api/v1/drafts/{draft.id}/")

    assert api.get(revisions_url).status_code == 404
    assert api.get(f"{revisions_url}1/").status_code == 404
    assert DraftRevision.objects.filter(draft_id=draft.id).count() == 2  # for staff

    purged = drafts_purge_deleted(now=timezone.now() + timedelta(days=30, minutes=1))

    assert purged == 1  # drafts, not drafts plus their revisions
    assert not DraftRevision.objects.filter(draft_id=draft.id).exists()
    assert DraftRevision.objects.filter(draft=kept).count() == 1


def test_only_the_newest_deleted_drafts_are_kept(api, user, settings):
    settings.DRAFT_MAX_DELETED_PER_USER = 2
    ids = [
        api.post("/api/v1/drafts/", {}, format="json").json()["id"] for _ in range(4)
    ]

    for draft_id in ids:
        assert api.delete(f"/api/v1/drafts/{draft_id}/").status_code == 204

    kept = Draft.objects.filter(owner=user, deleted_at__isnull=False)
    assert sorted(str(i) for i in kept.values_list("id", flat=True)) == sorted(ids[2:])
    assert Draft.objects.filter(owner=user).count() == 2
