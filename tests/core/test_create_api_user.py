from io import StringIO

from django.core.management import call_command
from django.http import HttpRequest

from core.models import ApiToken
from core.tokens import token_digest


def test_create_api_user_prints_a_new_token_each_time_and_stores_digests_only(
    db, django_user_model
):
    first, second = StringIO(), StringIO()

    call_command("create_api_user", "bob", "--staff", stdout=first, stderr=StringIO())
    call_command("create_api_user", "bob", "--staff", stdout=second, stderr=StringIO())

    user = django_user_model.objects.get(username="bob")
    keys = [first.getvalue().strip(), second.getvalue().strip()]
    assert keys[0] != keys[1]
    assert [len(key) for key in keys] == [40, 40]
    stored = ApiToken.objects.filter(user=user).order_by("id")
    assert list(stored.values_list("digest", flat=True)) == [
        token_digest(key) for key in keys
    ]
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
