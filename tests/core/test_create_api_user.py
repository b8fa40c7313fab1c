from io import StringIO

from django.core.management import call_command
from django.http import HttpRequest
from rest_framework.authtoken.models import Token


def test_create_api_user_prints_the_same_token_every_time(db, django_user_model):
    first, second = StringIO(), StringIO()

    call_command("create_api_user", "bob", "--staff", stdout=first, stderr=StringIO())
    call_command("create_api_user", "bob", "--staff", stdout=second, stderr=StringIO())

    user = django_user_model.objects.get(username="bob")
    assert first.getvalue().strip() == second.getvalue().strip()
    assert first.getvalue().strip() == Token.objects.get(user=user).key
    assert user.is_staff is True
    assert django_user_model.objects.filter(username="bob").count() == 1


def test_create_api_user_with_password_allows_admin_login(db, client):
    call_command(
        "create_api_user", "carol", "--staff", "--password", "pw-for-carol-123",
        stdout=StringIO(), stderr=StringIO(),
    )  # fmt: skip

    # django-axes needs the request to count failures by address.
    logged_in = client.login(
        request=HttpRequest(), username="carol", password="pw-for-carol-123"
    )

    assert logged_in is True
    assert client.get("/admin/").status_code == 200


def test_superuser_flag_makes_a_staff_superuser(db, django_user_model):
    call_command(
        "create_api_user", "root", "--superuser", stdout=StringIO(), stderr=StringIO()
    )

    user = django_user_model.objects.get(username="root")
    assert (user.is_staff, user.is_superuser) == (True, True)
