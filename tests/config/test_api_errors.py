import pytest
from rest_framework.test import APIClient


@pytest.mark.django_db
def test_unauthenticated_api_call_gets_401_in_the_common_error_shape():
    response = APIClient().get("/api/v1/me/")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": {
            "code": "not_authenticated",
            "message": "Authentication credentials were not provided.",
        }
    }


@pytest.mark.django_db
def test_bad_token_gets_401_authentication_failed():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token nope")

    response = client.get("/api/v1/me/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_unknown_api_path_gets_json_404(api):
    response = api.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


def test_wrong_method_gets_json_405(api):
    response = api.delete("/api/v1/me/")

    assert response.status_code == 405
    assert response.json()["error"] == {
        "code": "method_not_allowed",
        "message": 'Method "DELETE" not allowed.',
    }


@pytest.mark.urls("tests.config.crashing_urls")
@pytest.mark.django_db
def test_crash_under_api_gets_json_500_and_is_logged(caplog):
    client = APIClient(raise_request_exception=False)

    response = client.get("/api/v1/crash/")

    assert response.status_code == 500
    assert response.json() == {
        "error": {
            "code": "server_error",
            "message": "Something went wrong on our side. It has been logged.",
        }
    }
    assert "unhandled error on GET /api/v1/crash/" in caplog.text


@pytest.mark.urls("tests.config.crashing_urls")
@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/database-down/", "/api/v1/redis-down/"])
def test_an_unreachable_database_or_redis_gets_503_with_retry_after(
    path, settings, caplog
):
    settings.OUTAGE_RETRY_AFTER_SECONDS = 7
    client = APIClient(raise_request_exception=False)

    response = client.get(path)

    assert response.status_code == 503
    assert response["Retry-After"] == "7"
    assert response.json() == {
        "error": {
            "code": "service_unavailable",
            "message": "A service poster depends on is briefly unavailable. Retry "
            "after the number of seconds in Retry-After.",
        }
    }
    assert f"backing service unavailable on GET {path}" in caplog.text


@pytest.mark.urls("tests.config.crashing_urls")
@pytest.mark.django_db
def test_a_500_page_under_api_gets_the_same_json_as_a_crash():
    client = APIClient(raise_request_exception=False)

    crash = client.get("/api/v1/crash/")
    page = client.get("/api/v1/plain-500/")

    assert page.status_code == 500
    assert page.json() == crash.json()


def test_me_answers_who_the_token_belongs_to(api, user):
    response = api.get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json() == {
        "id": user.id,
        "username": "alice",
        "is_staff": False,
        "events_url": "http://testserver/api/v1/events/",
    }
