import pytest
import redis

from tests.drafts.conftest import autosave


@pytest.fixture(params=["django_cache", "redis"])
def strict(request, settings):
    if request.param == "redis":
        settings.CACHE_URL = settings.CELERY_BROKER_URL
        redis.Redis.from_url(settings.CACHE_URL).flushdb()

    def set_rate(scope: str, rate: str) -> None:
        settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, scope: rate}

    return set_rate


def test_autosaves_over_the_rate_get_429_with_retry_after(api, draft, strict):
    strict("autosave", "2/min")

    answers = [autosave(api, draft.id, v, body=f"v{v}").status_code for v in (1, 2)]
    third = autosave(api, draft.id, 3, body="too fast")

    assert answers == [200, 200]
    assert third.status_code == 429
    assert third.json()["error"]["code"] == "throttled"
    assert 0 < int(third["Retry-After"]) <= 60
    draft.refresh_from_db()
    assert draft.version == 3


def test_the_autosave_budget_does_not_limit_reads(api, draft, strict):
    strict("autosave", "1/min")
    autosave(api, draft.id, 1, body="one")

    assert api.get(f"/api/v1/drafts/{draft.id}/").status_code == 200


def test_lease_budget(api, local_storage, strict):
    strict("leases", "1/min")
    lease = {"filename": "a.png", "content_type": "image/png", "size_bytes": 10}

    first = api.post("/api/v1/media/", lease, format="json")
    second = api.post("/api/v1/media/", lease, format="json")

    assert (first.status_code, second.status_code) == (201, 429)
    assert second.json()["error"]["code"] == "throttled"


def test_publish_budget(api, user, strict):
    strict("publish", "1/min")

    first = api.post(
        "/api/v1/drafts/00000000-0000-0000-0000-000000000000/publish/",
        {},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    second = api.post(
        "/api/v1/drafts/00000000-0000-0000-0000-000000000000/publish/",
        {},
        format="json",
        HTTP_IF_MATCH='"1"',
    )

    assert (first.status_code, second.status_code) == (404, 429)


def test_budgets_are_per_user(api, other_api, draft, strict):
    strict("user", "2/min")
    api.get("/api/v1/me/")
    api.get("/api/v1/me/")

    mine = api.get("/api/v1/me/")
    theirs = other_api.get("/api/v1/me/")

    assert (mine.status_code, theirs.status_code) == (429, 200)


def test_redis_counters_expire_with_their_window(api, user, settings):
    settings.CACHE_URL = settings.CELERY_BROKER_URL
    client = redis.Redis.from_url(settings.CACHE_URL)
    client.flushdb()

    api.get("/api/v1/me/")

    (key,) = client.keys("throttle:user:*")
    assert int(client.get(key)) == 1
    assert 0 < client.ttl(key) <= 60
