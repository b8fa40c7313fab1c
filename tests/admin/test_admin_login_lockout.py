"""Admin login: django-axes locks a (username, address) pair out after failures."""

from django.core.management import call_command
from django.test import Client

LOGIN = "/admin/login/?next=/admin/"


def log_in(client: Client, password: str):
    return client.post(LOGIN, {"username": "staffer", "password": password})


def test_repeated_failures_lock_the_pair_out_even_with_the_right_password(
    db, django_user_model, settings
):
    django_user_model.objects.create_user(
        "staffer", password="right-password-123", is_staff=True
    )
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    elsewhere = Client(REMOTE_ADDR="198.51.100.4")

    failures = [log_in(attacker, "wrong") for _ in range(settings.AXES_FAILURE_LIMIT)]
    locked = log_in(attacker, "right-password-123")
    from_elsewhere = log_in(elsewhere, "right-password-123")

    assert settings.AXES_FAILURE_LIMIT == 5
    assert [r.status_code for r in failures[:-1]] == [200] * 4  # the form again
    assert failures[-1].status_code == 429  # the fifth failure locks
    assert locked.status_code == 429
    assert "_auth_user_id" not in attacker.session
    assert from_elsewhere.status_code == 302
    assert from_elsewhere["Location"] == "/admin/"


def test_staff_can_lift_a_lockout(db, django_user_model, settings):
    django_user_model.objects.create_user(
        "staffer", password="right-password-123", is_staff=True
    )
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "wrong")

    call_command("axes_reset", verbosity=0)
    response = log_in(client, "right-password-123")

    assert response.status_code == 302
