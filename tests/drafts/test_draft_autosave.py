import re
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from drafts.apis import DraftFieldsSerializer, draft_fields_data
from drafts.models import Draft, DraftRevision
from drafts.services import draft_create
from tests.conftest import token_client
from tests.drafts.conftest import autosave


def advance_to_version_3(api, draft):
    autosave(api, draft.id, 1, title="Hello there")
    autosave(api, draft.id, 2, body="Some words")
    draft.refresh_from_db()
    assert draft.version == 3


def test_autosave_without_if_match_gets_428_and_changes_nothing(api, draft):
    response = api.patch(f"/api/v1/drafts/{draft.id}/", {"title": "X"}, format="json")

    assert response.status_code == 428
    assert response.json()["error"]["code"] == "precondition_required"
    draft.refresh_from_db()
    assert (draft.title, draft.version) == ("Hello", 1)


def test_autosave_with_unreadable_if_match_gets_400(api, draft):
    response = api.patch(
        f"/api/v1/drafts/{draft.id}/", {"title": "X"}, format="json", HTTP_IF_MATCH="*"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_precondition"


def test_weak_if_match_gets_412_precondition_failed_and_changes_nothing(api, draft):
    response = api.patch(
        f"/api/v1/drafts/{draft.id}/",
        {"title": "X"},
        format="json",
        HTTP_IF_MATCH='W/"1"',
    )

    assert response.status_code == 412
    assert response.json()["error"]["code"] == "precondition_failed"
    draft.refresh_from_db()
    assert (draft.title, draft.version) == ("Hello", 1)


@pytest.mark.parametrize("header", ['"1", "2"', "1", '"one"', ""])
def test_if_match_other_than_one_strong_version_tag_gets_400(api, draft, header):
    response = api.patch(
        f"/api/v1/drafts/{draft.id}/",
        {"title": "X"},
        format="json",
        HTTP_IF_MATCH=header,
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_precondition"
    draft.refresh_from_db()
    assert (draft.title, draft.version) == ("Hello", 1)


def test_if_none_match_with_a_weak_current_tag_gets_304(api, draft):
    response = api.get(f"/api/v1/drafts/{draft.id}/", HTTP_IF_NONE_MATCH='W/"1"')

    assert response.status_code == 304


def test_autosave_at_current_version_changes_only_sent_fields(api, draft):
    response = autosave(api, draft.id, 1, title="Hello world")

    assert response.status_code == 200
    assert response["ETag"] == '"2"'
    body = response.json()
    assert (body["title"], body["body"], body["version"], body["merged"]) == (
        "Hello world",
        "First words",
        2,
        False,
    )
    draft.refresh_from_db()
    assert (draft.title, draft.body, draft.version, draft.title_version) == (
        "Hello world",
        "First words",
        2,
        2,
    )
    assert draft.body_version == 1


# Transactional, so the statements are those production runs (no test savepoints).
@pytest.mark.django_db(transaction=True)
def test_autosave_fast_path_is_one_update_plus_a_snapshot_at_most_once(api, draft):
    with CaptureQueriesContext(connection) as first:
        autosave(api, draft.id, 1, title="one")
    with CaptureQueriesContext(connection) as second:
        autosave(api, draft.id, 2, title="two")

    statements = [
        [q["sql"].split()[0] for q in c.captured_queries] for c in (first, second)
    ]
    # Token authentication reads the token; then the conditional UPDATE ... RETURNING
    # with the draft.saved outbox insert in the same WITH statement; the first
    # autosave also takes the interval's snapshot (INSERT ... SELECT, in a WITH that
    # prunes revisions past the newest 50).
    assert statements == [["SELECT", "WITH", "WITH"], ["SELECT", "WITH"]]
    saved = second.captured_queries[1]["sql"]
    assert saved.startswith('WITH saved AS (UPDATE "drafts_draft"')
    assert 'INSERT INTO "core_outboxevent"' in saved
    assert "INSERT INTO" in first.captured_queries[2]["sql"]
    update_sql = second.captured_queries[1]["sql"]
    assert "RETURNING" in update_sql
    assert '"version" = 2' in update_sql or "version = 2" in update_sql


@pytest.mark.django_db(transaction=True)
def test_autosave_writes_no_indexed_column_so_postgresql_can_update_in_place(
    api, draft
):
    with CaptureQueriesContext(connection) as captured:
        autosave(api, draft.id, 1, title="one", body="two")
    update_sql = next(
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith("WITH saved AS (UPDATE")
    )
    assignments = update_sql.split(" SET ", 1)[1].split(" WHERE ", 1)[0]
    written = set(re.findall(r'(?:^|, )"?(\w+)"? = ', assignments))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s",
            [Draft._meta.db_table],
        )
        index_definitions = [row[0] for row in cursor.fetchall()]

    assert {"title", "body", "version", "updated_at"} <= written
    indexed = {
        column
        for definition in index_definitions
        for column in written
        if re.search(rf"\b{column}\b", definition)
    }
    assert indexed == set()  # else every autosave also writes index entries (no HOT)


def test_edits_to_different_fields_at_the_same_version_are_merged(api, draft):
    advance_to_version_3(api, draft)
    phone, laptop = api, token_client(draft.owner.username)

    from_phone = autosave(phone, draft.id, 3, title="Title from phone")
    from_laptop = autosave(laptop, draft.id, 3, body="Body from laptop")

    assert (from_phone.status_code, from_laptop.status_code) == (200, 200)
    assert from_phone.json()["merged"] is False
    assert from_laptop.json()["merged"] is True
    assert from_laptop.json()["version"] == 5
    draft.refresh_from_db()
    assert (draft.title, draft.body, draft.version) == (
        "Title from phone",
        "Body from laptop",
        5,
    )
    merge_snapshot = DraftRevision.objects.get(draft=draft, reason="before_merge")
    assert (
        merge_snapshot.title,
        merge_snapshot.body,
        merge_snapshot.draft_version,
    ) == (
        "Title from phone",
        "Some words",
        4,
    )


def test_edits_to_the_same_field_conflict_and_keep_the_first(api, draft):
    advance_to_version_3(api, draft)
    autosave(api, draft.id, 3, body="Phone's body")

    response = autosave(api, draft.id, 3, body="Laptop's body", title="Laptop title")

    assert response.status_code == 412
    assert response["ETag"] == '"4"'
    error = response.json()["error"]
    assert error["code"] == "edit_conflict"
    assert error["conflicting_fields"] == ["body"]
    assert error["current"]["body"] == "Phone's body"
    assert error["current"]["version"] == 4
    draft.refresh_from_db()
    assert (draft.body, draft.title, draft.version) == (
        "Phone's body",
        "Hello there",
        4,
    )


def test_duplicate_delivery_is_never_applied_twice(api, draft):
    first = autosave(api, draft.id, 1, body="typed once")
    again = autosave(api, draft.id, 1, body="typed once")

    assert first.status_code == 200
    assert again.status_code == 200
    assert again.json()["version"] == 2
    draft.refresh_from_db()
    assert (draft.body, draft.version) == ("typed once", 2)


def test_late_delivery_of_an_older_edit_is_a_conflict(api, draft):
    autosave(api, draft.id, 1, body="abc")
    autosave(api, draft.id, 2, body="abcd")

    late = autosave(api, draft.id, 1, body="abc")

    assert late.status_code == 412
    draft.refresh_from_db()
    assert (draft.body, draft.version) == ("abcd", 3)


def test_version_from_the_future_is_a_conflict(api, draft):
    response = autosave(api, draft.id, 9, title="?")

    assert response.status_code == 412
    assert response.json()["error"]["conflicting_fields"] == ["title"]


def test_empty_autosave_gets_400_no_changes(api, draft):
    response = autosave(api, draft.id, 1)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "no_changes"


def test_invalid_autosave_gets_400_and_changes_nothing(api, draft):
    response = autosave(api, draft.id, 1, title="ok", body="bad\x00")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["body"]
    draft.refresh_from_db()
    assert (draft.title, draft.version) == ("Hello", 1)


@pytest.mark.django_db(transaction=True)
def test_two_clients_autosaving_concurrently_lose_no_accepted_write():
    owner = token_client("writer").user
    draft = draft_create(owner=owner, changes={})
    accepted: list[tuple[int, str, str]] = []
    conflicts: list[str] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def client_loop(name: str) -> None:
        client = token_client("writer")
        version = 1
        try:
            for i in range(200):
                while True:
                    title, body = f"{name} title {i}", f"{name} body {i} " * 20
                    response = autosave(
                        client, draft.id, version, title=title, body=body
                    )
                    if response.status_code == 200:
                        version = response.json()["version"]
                        with lock:
                            accepted.append((version, title, body))
                        break
                    assert response.status_code == 412, response.content
                    conflicts.append(name)
                    version = client.get(f"/api/v1/drafts/{draft.id}/").json()[
                        "version"
                    ]
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=client_loop, args=(n,)) for n in ("phone", "pc")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)

    assert errors == []
    assert conflicts  # the clients did collide: there was a race to lose
    draft.refresh_from_db()
    assert len(accepted) == 400
    assert draft.version == len(accepted) + 1
    last_version, last_title, last_body = max(accepted)
    assert (draft.version, draft.title, draft.body) == (
        last_version,
        last_title,
        last_body,
    )
    assert sorted(v for v, _, _ in accepted) == list(range(2, 402))
    assert Draft.objects.count() == 1


def test_fast_path_rendering_matches_the_documented_serializer(draft):
    assert draft_fields_data(draft) == DraftFieldsSerializer(draft).data
