import socket

import pytest
from django.test import Client


def closed_local_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthz_answers_ok_without_touching_dependencies(settings, db):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_local_port()}/0"

    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_ok_when_database_broker_and_storage_answer():
    response = Client().get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_names_the_broker_when_it_points_at_a_closed_port(settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_local_port()}/0"

    response = Client().get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert list(body["failing"]) == ["broker"]


@pytest.mark.django_db
def test_readyz_tells_anonymous_remote_callers_only_the_failing_names(settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_local_port()}/0"

    response = Client(REMOTE_ADDR="203.0.113.9").get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "failing": {"broker": "unavailable"},
    }


@pytest.mark.django_db
def test_readyz_tells_staff_and_loopback_why(settings, admin_user):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_local_port()}/0"
    staff = Client(REMOTE_ADDR="203.0.113.9")
    staff.force_login(admin_user)

    answers = [staff.get("/readyz"), Client(REMOTE_ADDR="127.0.0.1").get("/readyz")]

    for response in answers:
        assert response.status_code == 503
        assert response.json()["failing"]["broker"].startswith("OperationalError")
