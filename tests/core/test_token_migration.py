"""Plain-text DRF tokens from before are kept working, as digests only."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rest_framework.test import APIClient

BEFORE = [("core", "0002_api_token_digests")]
AFTER = [("core", "0003_hash_existing_tokens")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(
        [*targets, ("authtoken", "0003_tokenproxy")]
    ).apps


def test_existing_plain_tokens_become_digests_and_keep_working(transactional_db):
    old_apps = migrate(BEFORE)
    user = old_apps.get_model("auth", "User").objects.create(username="old-client")
    key = "0123456789abcdef0123456789abcdef01234567"
    old_apps.get_model("authtoken", "Token").objects.create(key=key, user=user)

    new_apps = migrate(AFTER)
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert not new_apps.get_model("authtoken", "Token").objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT digest, prefix FROM core_apitoken")
        rows = cursor.fetchall()
    assert len(rows) == 1 and rows[0][1] == key[:8] and key not in rows[0][0]
    response = APIClient(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["username"] == "old-client"
