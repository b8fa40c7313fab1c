from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from core.accounts import api_user_ensure
from core.api.authentication import PreparedTokenAuthentication, token_user_get


def test_token_resolves_to_its_user_and_token_in_one_query(db):
    credentials = api_user_ensure(username="alice", is_staff=True)

    with CaptureQueriesContext(connection) as queries:
        user, token = PreparedTokenAuthentication().authenticate_credentials(
            credentials.token
        )
        same_user = token.user  # already loaded with the row

    assert len(queries) == 1
    assert same_user is user
    assert (user.pk, user.username, user.is_staff) == (
        credentials.user.pk,
        "alice",
        True,
    )
    assert user.password == credentials.user.password
    assert isinstance(token, Token)
    stored = Token.objects.get(user=credentials.user)
    assert (token.key, token.user_id, token.created) == (
        stored.key,
        stored.user_id,
        stored.created,
    )
    assert not user._state.adding  # a loaded row: saving it updates, never inserts


def test_unknown_key_finds_nobody(db):
    api_user_ensure(username="alice")

    assert token_user_get("0" * 40) is None


def test_api_call_with_token_acts_as_its_user(api, user):
    response = api.get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json()["username"] == user.username


def test_inactive_user_gets_401_even_with_a_valid_token(api, user):
    user.is_active = False
    user.save(update_fields=["is_active"])

    response = api.get("/api/v1/me/")

    assert response.status_code == 401
    assert response.json()["error"] == {
        "code": "authentication_failed",
        "message": "User inactive or deleted.",
    }


def test_revoked_token_gets_401_at_once(api, user):
    Token.objects.filter(user=user).delete()

    response = api.get("/api/v1/me/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
