from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.accounts import api_user_ensure
from core.api.authentication import PreparedTokenAuthentication, token_user_get
from core.models import ApiToken
from core.tokens import api_token_revoke, token_digest


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
    assert isinstance(token, ApiToken)
    stored = ApiToken.objects.get(user=credentials.user)
    assert (token.id, token.user_id, token.created_at, token.expires_at) == (
        stored.id,
        stored.user_id,
        stored.created_at,
        stored.expires_at,
    )
    assert stored.digest == token_digest(credentials.token)
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


def token_of(client) -> ApiToken:
    key = client._credentials["HTTP_AUTHORIZATION"].removeprefix("Token ")
    return ApiToken.objects.get(digest=token_digest(key))


def test_revoked_token_gets_401_at_once(api, user):
    works = api.get("/api/v1/me/")
    api_token_revoke(token_id=token_of(api).id)

    response = api.get("/api/v1/me/")

    assert works.status_code == 200
    assert response.status_code == 401
    assert response.json()["error"] == {
        "code": "authentication_failed",
        "message": "This token was revoked.",
    }


def test_a_token_works_before_its_expiry_and_401s_after(api, user):
    token = token_of(api)
    token.expires_at = timezone.now() + timedelta(minutes=1)
    token.save(update_fields=["expires_at"])
    before = api.get("/api/v1/me/")
    ApiToken.objects.filter(id=token.id).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    after = api.get("/api/v1/me/")

    assert before.status_code == 200
    assert after.status_code == 401
    assert after.json()["error"] == {
        "code": "authentication_failed",
        "message": "This token has expired.",
    }


def test_tokens_expire_after_the_configured_days_or_never(db, settings):
    settings.API_TOKEN_TTL_DAYS = 30
    expiring = ApiToken.objects.get(user=api_user_ensure(username="a").user)
    settings.API_TOKEN_TTL_DAYS = None
    forever = ApiToken.objects.get(user=api_user_ensure(username="b").user)

    assert expiring.expires_at - expiring.created_at == timedelta(days=30)
    assert forever.expires_at is None


def test_the_database_holds_no_token_in_plain_text(transactional_db, api, user):
    key = api._credentials["HTTP_AUTHORIZATION"].removeprefix("Token ")
    assert api.get("/api/v1/me/").status_code == 200

    found_in = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (names from the db)
            if key in repr(cursor.fetchall()):
                found_in.append(table)

    assert found_in == []
    assert token_of(api).user == user
