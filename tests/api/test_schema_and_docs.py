import re

import pytest
from django.test import Client

EXPECTED_OPERATIONS = {
    "drafts_list",
    "drafts_create",
    "drafts_get",
    "drafts_autosave",
    "drafts_delete",
    "drafts_publish",
    "drafts_revisions_list",
    "drafts_revisions_get",
    "drafts_revisions_restore",
    "me",
    "media_list",
    "media_lease",
    "media_get",
    "media_update",
    "media_delete",
    "media_complete",
    "posts_list",
    "posts_get",
    "posts_delete",
    "posts_cancel",
}


@pytest.fixture
def schema(db):
    response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def operations(schema):
    return {
        operation["operationId"]: operation
        for path in schema["paths"].values()
        for operation in path.values()
    }


def test_schema_documents_every_operation(schema):
    assert schema["openapi"].startswith("3.")
    assert set(operations(schema)) == EXPECTED_OPERATIONS


def test_every_operation_documents_its_errors_in_the_common_shape(schema):
    for operation_id, operation in operations(schema).items():
        error_statuses = [s for s in operation["responses"] if s.startswith(("4", "5"))]
        assert {"401", "429"} <= set(error_statuses), operation_id
        for status in error_statuses:
            body = operation["responses"][status]["content"]["application/json"]
            assert body["schema"] == {"$ref": "#/components/schemas/Error"}, (
                operation_id,
                status,
            )


def test_headers_are_documented(schema):
    ops = operations(schema)

    def header_names(operation_id: str) -> set[str]:
        return {
            p["name"]
            for p in ops[operation_id].get("parameters", [])
            if p["in"] == "header"
        }

    assert header_names("drafts_autosave") == {"If-Match"}
    assert header_names("drafts_publish") == {"If-Match", "Idempotency-Key"}
    assert header_names("drafts_create") == {"Idempotency-Key"}
    assert "ETag" in ops["drafts_autosave"]["responses"]["200"]["headers"]
    assert "ETag" in ops["drafts_autosave"]["responses"]["412"]["headers"]
    assert "Retry-After" in ops["media_get"]["responses"]["200"]["headers"]
    assert "Retry-After" in ops["drafts_list"]["responses"]["429"]["headers"]
    assert "edit_conflict" in ops["drafts_autosave"]["responses"]["412"]["description"]


def test_docs_are_served_from_local_static_files_only(db):
    client = Client()

    page = client.get("/api/docs/")

    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.content.decode())
    assert sources, "the page loads no assets?"
    assert [s for s in sources if s.startswith(("http:", "https:", "//"))] == []
    for source in sources:
        assert client.get(source).status_code == 200, source


def test_every_api_operation_documents_the_503_retry_contract(schema):
    for operation_id, operation in operations(schema).items():
        outage = operation["responses"]["503"]
        assert "service_unavailable" in outage["description"], operation_id
        assert "Retry-After" in outage["headers"], operation_id
    complete = operations(schema)["media_complete"]["responses"]["503"]["description"]
    assert "storage_unavailable" in complete
