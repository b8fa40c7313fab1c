"""The composer's pages as HTTP answers, and the event stream's CORS for them."""

import re

import pytest
import requests
from django.contrib.auth import get_user_model
from django.test import Client

from composer.views import content_security_policy
from tests.events import EventsServer


@pytest.fixture
def writer(db):
    user = get_user_model().objects.create_user("writer", password="pw-for-tests-1")
    return user


def test_anonymous_visitors_are_sent_to_sign_in(db):
    answer = Client().get("/compose/")

    assert answer.status_code == 302
    assert answer["Location"] == "/accounts/login/?next=/compose/"


def test_the_site_root_leads_to_the_composer(db):
    answer = Client().get("/")

    assert (answer.status_code, answer["Location"]) == (302, "/compose/")


def test_signing_in_leads_to_the_composer_with_a_csrf_cookie(writer):
    client = Client()
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert b'<label for="id_username">Username</label>' in page.content

    answer = client.post(
        "/accounts/login/",
        {"username": "writer", "password": "pw-for-tests-1", "next": "/compose/"},
    )
    assert (answer.status_code, answer["Location"]) == (302, "/compose/")

    composer = client.get("/compose/")
    assert composer.status_code == 200
    assert "csrftoken" in composer.cookies
    assert composer["Cache-Control"] == "no-store"
    assert b'type="module"' in composer.content
    assert b'role="status" aria-live="polite"' in composer.content


def test_a_wrong_password_is_refused_on_the_page(writer):
    answer = Client().post(
        "/accounts/login/", {"username": "writer", "password": "wrong"}
    )

    assert answer.status_code == 200
    assert b'role="alert"' in answer.content


def test_sign_in_never_redirects_to_another_site(writer):
    answer = Client().post(
        "/accounts/login/",
        {
            "username": "writer",
            "password": "pw-for-tests-1",
            "next": "https://evil.example/",
        },
    )

    assert answer["Location"] == "/compose/"


def test_the_page_allows_scripts_from_itself_only(writer, settings):
    settings.STORAGE_BACKEND = "s3"
    settings.S3_ENDPOINT_URL = "http://127.0.0.1:4566"
    settings.MEDIA_PUBLIC_BASE_URL = "https://cdn.example.com/media"
    settings.EVENTS_URL = "http://127.0.0.1:8001/api/v1/events/"

    policy = content_security_policy()

    assert "script-src 'self';" in policy
    assert "object-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    img = re.search(r"img-src ([^;]*);", policy).group(1).split()
    assert {"'self'", "http://127.0.0.1:4566", "https://cdn.example.com"} <= set(img)
    connect = re.search(r"connect-src ([^;]*);", policy).group(1).split()
    assert {"http://127.0.0.1:4566", "http://127.0.0.1:8001"} <= set(connect)


def test_on_aws_the_page_may_reach_the_buckets_host(settings):
    settings.STORAGE_BACKEND = "s3"
    settings.S3_ENDPOINT_URL = None
    settings.MEDIA_PUBLIC_BASE_URL = ""
    settings.EVENTS_URL = ""

    assert "connect-src 'self' https://*.amazonaws.com;" in content_security_policy()


@pytest.fixture
def cors_events(transactional_db):
    server = EventsServer(
        EVENTS_ALLOWED_ORIGINS="http://127.0.0.1:8000", DJANGO_ALLOW_ASYNC_UNSAFE=""
    ).start()
    yield server
    server.kill()


def test_the_stream_answers_cors_for_the_pages_origin_only(cors_events):
    allowed = requests.get(
        cors_events.url, headers={"Origin": "http://127.0.0.1:8000"}, timeout=10
    )
    other = requests.get(
        cors_events.url, headers={"Origin": "https://evil.example"}, timeout=10
    )

    # Anonymous: 401 either way, but only the page's origin may read the answer.
    assert allowed.status_code == other.status_code == 401
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8000"
    assert allowed.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Access-Control-Allow-Origin" not in other.headers


def test_the_streams_preflight_allows_last_event_id(cors_events):
    answer = requests.options(
        cors_events.url,
        headers={
            "Origin": "http://127.0.0.1:8000",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "last-event-id",
        },
        timeout=10,
    )

    assert answer.status_code == 200
    assert "last-event-id" in answer.headers["Access-Control-Allow-Headers"]


def test_other_api_paths_send_no_cors_headers(api):
    answer = api.get("/api/v1/me/", HTTP_ORIGIN="http://127.0.0.1:8000")

    assert "Access-Control-Allow-Origin" not in answer
