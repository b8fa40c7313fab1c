from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from core.idempotency import idempotency_key_claim, request_fingerprint
from core.models import IdempotencyKey
from drafts.models import Draft
from tests.conftest import requests_burst, token_client


def test_create_answers_201_with_id_version_and_etag(api, user):
    response = api.post(
        "/api/v1/drafts/",
        {"title": "Hello ", "body": "# Heading\n", "community": "python"},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["version"] == 1
    assert response["ETag"] == '"1"'
    draft = Draft.objects.get(id=body["id"])
    assert (draft.owner, draft.title, draft.body, draft.community, draft.kind) == (
        user,
        "Hello ",
        "# Heading\n",
        "python",
        "text",
    )


def test_values_at_each_limit_are_accepted(api):
    at_the_limits = {
        "title": "t" * 300,
        "body": "b" * 40_000,
        "url": "https://example.com/" + "a" * (2_000 - len("https://example.com/")),
        "community": "c" * 21,
        "kind": "link",
    }

    response = api.post("/api/v1/drafts/", at_the_limits, format="json")

    assert response.status_code == 201, response.json()
    stored = Draft.objects.get(id=response.json()["id"])
    assert {name: getattr(stored, name) for name in at_the_limits} == at_the_limits
    shortest = api.post("/api/v1/drafts/", {"community": "abc"}, format="json")
    assert shortest.status_code == 201


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": "nul\x00byte"}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"body": "x" * 40_001}, "body"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "https://example.com/" + "a" * 2000}, "url"),
        ({"url": "https://exa mple.com"}, "url"),
        ({"community": "ab"}, "community"),
        ({"community": "c" * 22}, "community"),
        ({"community": "no-dashes"}, "community"),
        ({"url": "ftp://example.com/file"}, "url"),
        ({"url": "https://example.com/\x00"}, "url"),
        ({"kind": "video"}, "kind"),
        ({"is_nsfw": "maybe"}, "is_nsfw"),
        ({"title": 42}, "title"),
        ({"titel": "typo"}, "titel"),
    ],
)
def test_invalid_fields_get_400_with_the_field_named(api, payload, field):
    response = api.post("/api/v1/drafts/", payload, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["fields"]) == [field]
    assert error["message"].startswith(f"{field}: ")
    assert Draft.objects.count() == 0


@pytest.mark.parametrize("field", ["title", "body", "url", "community"])
def test_lone_surrogate_escaped_in_json_is_rejected(api, field):
    response = api.generic(
        "POST",
        "/api/v1/drafts/",
        b'{"%s": "bad \\udc00 text"}' % field.encode(),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]


def test_half_typed_link_is_kept_by_autosave(api):
    response = api.post(
        "/api/v1/drafts/", {"kind": "link", "url": "https://exa"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["url"] == "https://exa"


def test_malformed_json_gets_400_parse_error(api):
    response = api.generic(
        "POST", "/api/v1/drafts/", b"{not json", content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_non_json_body_gets_415(api):
    response = api.generic(
        "POST", "/api/v1/drafts/", "title=x", content_type="text/plain"
    )

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_same_idempotency_key_and_body_returns_the_first_response(api):
    first = api.post(
        "/api/v1/drafts/", {"title": "Once"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    second = api.post(
        "/api/v1/drafts/", {"title": "Once"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second["ETag"] == first["ETag"]
    assert second["Idempotent-Replayed"] == "true"
    assert Draft.objects.count() == 1


def test_same_idempotency_key_with_another_body_gets_422(api):
    api.post(
        "/api/v1/drafts/", {"title": "One"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    )

    response = api.post(
        "/api/v1/drafts/", {"title": "Two"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert list(Draft.objects.values_list("title", flat=True)) == ["One"]


def test_idempotency_key_while_first_request_runs_gets_409(api, user):
    # The first request has claimed the key and not finished yet.
    idempotency_key_claim(
        owner=user,
        scope="drafts.create",
        key="k-3",
        fingerprint=request_fingerprint(
            method="POST", path="/api/v1/drafts/", body={"title": "Slow"}
        ),
    )

    response = api.post(
        "/api/v1/drafts/", {"title": "Slow"}, format="json", HTTP_IDEMPOTENCY_KEY="k-3"
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_request_in_progress"
    assert Draft.objects.count() == 0


def test_idempotency_keys_are_scoped_to_the_user(api, other_api):
    mine = api.post(
        "/api/v1/drafts/", {"title": "A"}, format="json", HTTP_IDEMPOTENCY_KEY="same"
    )
    theirs = other_api.post(
        "/api/v1/drafts/", {"title": "A"}, format="json", HTTP_IDEMPOTENCY_KEY="same"
    )

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]


def test_failed_request_releases_its_idempotency_key(api):
    bad = api.post(
        "/api/v1/drafts/",
        {"title": "x" * 301},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k4",
    )
    fixed = api.post(
        "/api/v1/drafts/", {"title": "short"}, format="json", HTTP_IDEMPOTENCY_KEY="k4"
    )

    assert (bad.status_code, fixed.status_code) == (400, 201)


def test_the_thousand_and_first_live_draft_is_refused(api, user):
    Draft.objects.bulk_create(Draft(owner=user, title=f"d{i}") for i in range(1000))

    response = api.post("/api/v1/drafts/", {"title": "one too many"}, format="json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "draft_limit_reached"
    assert Draft.objects.filter(owner=user).count() == 1000


def test_deleted_drafts_do_not_count_against_the_limit(api, user, settings):
    settings.DRAFT_MAX_LIVE_PER_USER = 2
    first = api.post("/api/v1/drafts/", {}, format="json").json()
    api.post("/api/v1/drafts/", {}, format="json")
    api.delete(f"/api/v1/drafts/{first['id']}/")

    response = api.post("/api/v1/drafts/", {}, format="json")

    assert response.status_code == 201


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_never_overshoot_the_thousand_drafts_limit(settings):
    settings.DRAFT_MAX_LIVE_PER_USER = 1000  # the documented default

    def create(client):
        return client.post("/api/v1/drafts/", {"title": "racing"}, format="json")

    # A race shows only now and then: burst for several users, each four short.
    for attempt in range(4):
        owner = token_client(f"writer-{attempt}").user
        Draft.objects.bulk_create(Draft(owner=owner) for _ in range(996))

        statuses = requests_burst(
            owner.username, clients=16, requests_each=1, send=create
        )

        assert sorted(statuses) == [201] * 4 + [403] * 12
        assert Draft.objects.filter(owner=owner).count() == 1000


def test_idempotency_key_is_forgotten_after_24_hours(api, user):
    def create(title):
        return api.post(
            "/api/v1/drafts/", {"title": title}, format="json", HTTP_IDEMPOTENCY_KEY="d"
        )

    first = create("Monday")
    claimed = IdempotencyKey.objects.filter(owner=user, key="d")
    claimed.update(created_at=F("created_at") - timedelta(hours=23, minutes=59))
    within_a_day = create("Monday")
    claimed.update(created_at=F("created_at") - timedelta(minutes=2))
    a_day_later = create("Tuesday")

    assert within_a_day.json()["id"] == first.json()["id"]
    assert within_a_day["Idempotent-Replayed"] == "true"
    assert a_day_later.status_code == 201
    assert "Idempotent-Replayed" not in a_day_later
    assert a_day_later.json()["id"] != first.json()["id"]
    assert set(Draft.objects.values_list("title", flat=True)) == {"Monday", "Tuesday"}


def test_a_new_idempotency_key_costs_one_insert_and_one_update(api):
    table = IdempotencyKey._meta.db_table

    with CaptureQueriesContext(connection) as queries:
        created = api.post(
            "/api/v1/drafts/", {"title": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="new"
        )

    assert created.status_code == 201
    statements = [q["sql"].split()[0] for q in queries if f'"{table}"' in q["sql"]]
    assert statements == ["INSERT", "UPDATE"]  # the claim, then the stored answer
