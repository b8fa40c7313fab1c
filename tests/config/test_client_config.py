"""GET /api/v1/config/: the limits in force and what is left of the caller's."""

import pytest
import redis
from rest_framework.test import APIClient

from drafts.services import draft_create

LEASE = {"filename": "a.png", "content_type": "image/png", "size_bytes": 10}


def config(client) -> dict:
    response = client.get("/api/v1/config/")
    assert response.status_code == 200
    return response.json()


def test_config_reports_the_settings_in_force(api, settings):
    body = config(api)

    assert body["drafts"] == {
        "kinds": ["text", "link", "image", "gallery"],
        "title_max_length": 300,
        "body_max_length": 40_000,
        "url_max_length": 2_000,
        "url_schemes": ["http", "https"],
        "max_live_per_user": settings.DRAFT_MAX_LIVE_PER_USER,
        "live_left": settings.DRAFT_MAX_LIVE_PER_USER,
    }
    assert body["media"] == {
        "supported_mime_types": list(settings.MEDIA_ALLOWED_CONTENT_TYPES),
        "max_bytes": settings.MEDIA_MAX_BYTES,
        "max_pixels": settings.MEDIA_MAX_PIXELS,
        "max_frames": settings.MEDIA_MAX_FRAMES,
        "max_animation_pixels": settings.MEDIA_MAX_ANIMATION_PIXELS,
        "max_per_draft": settings.MEDIA_MAX_PER_DRAFT,
        "count_by_kind": {
            "text": {"min": 0, "max": 0},
            "link": {"min": 0, "max": 0},
            "image": {"min": 1, "max": 1},
            "gallery": {"min": 2, "max": settings.MEDIA_MAX_PER_DRAFT},
        },
        "alt_text_max_length": 1_500,
        "caption_max_length": 180,
        "lease_seconds": settings.MEDIA_LEASE_SECONDS,
        "max_pending_uploads": settings.MEDIA_MAX_PENDING,
        "pending_uploads_left": settings.MEDIA_MAX_PENDING,
    }
    assert body["communities"] == {
        "flair_text_max_length": 64,
        "guidelines_max_length": 10_000,
        "rule_message_max_length": 300,
    }
    assert [budget["scope"] for budget in body["throttles"]] == list(
        settings.API_THROTTLE_RATES
    )


def test_changing_a_setting_changes_the_answer(api, settings):
    settings.MEDIA_MAX_BYTES = 1234
    settings.MEDIA_MAX_PER_DRAFT = 7
    settings.MEDIA_MAX_PIXELS = 99
    settings.MEDIA_ALLOWED_CONTENT_TYPES = ("image/png",)
    settings.DRAFT_MAX_LIVE_PER_USER = 3
    settings.API_THROTTLE_RATES = {"user": "50/min", "publish": "5/hour"}

    body = config(api)

    assert (
        body["media"]["max_bytes"],
        body["media"]["max_per_draft"],
        body["media"]["max_pixels"],
        body["media"]["supported_mime_types"],
        body["media"]["count_by_kind"]["gallery"],
        body["drafts"]["max_live_per_user"],
    ) == (1234, 7, 99, ["image/png"], {"min": 2, "max": 7}, 3)
    user_budget, publish_budget = body["throttles"]
    assert {k: v for k, v in user_budget.items() if k != "resets_in_seconds"} == {
        "scope": "user",
        "limit": 50,
        "window_seconds": 60,
        "remaining": 49,  # this request counted
    }
    assert {k: v for k, v in publish_budget.items() if k != "resets_in_seconds"} == {
        "scope": "publish",
        "limit": 5,
        "window_seconds": 3600,
        "remaining": 5,
    }
    assert 1 <= user_budget["resets_in_seconds"] <= 60


def test_the_limits_match_what_the_apis_enforce(api, settings, local_storage):
    settings.MEDIA_MAX_BYTES = 100
    limits = config(api)["media"]

    at_limit = api.post(
        "/api/v1/media/",
        {**LEASE, "size_bytes": limits["max_bytes"]},
        format="json",
    )
    over = api.post(
        "/api/v1/media/",
        {**LEASE, "size_bytes": limits["max_bytes"] + 1},
        format="json",
    )

    assert (at_limit.status_code, over.status_code) == (201, 413)


@pytest.mark.parametrize("cache_kind", ["django_cache", "redis"])
def test_quotas_left_count_down_with_use(
    api, user, settings, local_storage, cache_kind
):
    if cache_kind == "redis":
        settings.CACHE_URL = settings.CELERY_BROKER_URL
        redis.Redis.from_url(settings.CACHE_URL).flushdb()
    settings.DRAFT_MAX_LIVE_PER_USER = 5
    settings.MEDIA_MAX_PENDING = 4
    settings.API_THROTTLE_RATES = {"user": "100/min", "leases": "10/min"}
    draft_create(owner=user, changes={"title": "one"})
    draft_create(owner=user, changes={"title": "two"})
    api.post("/api/v1/media/", LEASE, format="json")

    body = config(api)

    assert body["drafts"]["live_left"] == 3
    assert body["media"]["pending_uploads_left"] == 3
    budgets = {b["scope"]: b["remaining"] for b in body["throttles"]}
    # The lease and this request took from user; the lease from leases.
    assert budgets == {"user": 98, "leases": 9}


def test_quotas_are_per_user(api, other_api, user, local_storage):
    draft_create(owner=user, changes={"title": "mine"})
    api.post("/api/v1/media/", LEASE, format="json")

    mine, theirs = config(api), config(other_api)

    assert mine["drafts"]["live_left"] == theirs["drafts"]["live_left"] - 1
    assert (
        mine["media"]["pending_uploads_left"]
        == theirs["media"]["pending_uploads_left"] - 1
    )


def test_config_needs_a_signed_in_user(db):
    assert APIClient().get("/api/v1/config/").status_code == 401
