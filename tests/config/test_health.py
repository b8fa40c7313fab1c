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
