import re

import pytest
from django.test import Client

from tests.service import REPO_DIR

EXPECTED_OPERATIONS = {
    "drafts_list",
    "drafts_create",
    "drafts_get",
    "drafts_autosave",
    "drafts_delete",
    "drafts_publish",
    "drafts_check",
    "communities_get",
    "config_get",
    "drafts_revisions_list",
    "drafts_revisions_get",
    "drafts_revisions_restore",
    "events_stream",
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


def error_codes(schema, response: dict) -> list[str]:
    reference = response["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][reference.rsplit("/", 1)[1]]
    detail = component["properties"]["error"]
    assert component["required"] == ["error"]
    assert detail["required"] == ["code", "message"]
    assert detail["properties"]["message"] == {
        "type": "string",
        "description": "For a person.",
    }
    assert detail["properties"]["code"]["type"] == "string"
    return detail["properties"]["code"]["enum"]


def documented_error_codes(schema) -> dict[str, set[str]]:
    """Every error code any operation documents, with the statuses it comes with."""
    statuses_by_code: dict[str, set[str]] = {}
    for operation in operations(schema).values():
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                for code in error_codes(schema, response):
                    statuses_by_code.setdefault(code, set()).add(status)
    return statuses_by_code


def test_every_error_response_lists_its_codes_as_an_enum(schema):
    for operation_id, operation in operations(schema).items():
        error_statuses = [s for s in operation["responses"] if s.startswith(("4", "5"))]
        assert {"401", "429"} <= set(error_statuses), operation_id
        for status in error_statuses:
            codes = error_codes(schema, operation["responses"][status])
            assert codes, (operation_id, status)
            assert len(set(codes)) == len(codes), (operation_id, status)
            assert all(re.fullmatch("[a-z][a-z0-9_]*", code) for code in codes)
            description = operation["responses"][status]["description"]
            assert description.endswith(": " + ", ".join(codes)), (operation_id, status)


def test_error_codes_are_specific_to_each_operation_and_status(schema):
    ops = operations(schema)

    assert error_codes(schema, ops["drafts_autosave"]["responses"]["412"]) == [
        "edit_conflict",
        "precondition_failed",
    ]
    assert error_codes(schema, ops["drafts_get"]["responses"]["401"]) == [
        "not_authenticated",
        "authentication_failed",
    ]
    assert error_codes(schema, ops["media_lease"]["responses"]["429"]) == [
        "too_many_pending_uploads",
        "upload_quota_exceeded",
        "throttled",
    ]


def readme_error_codes() -> dict[str, set[str]]:
    text = (REPO_DIR / "README.md").read_text()
    rows = re.findall(r"^\| `([a-z_0-9]+)` \| ([0-9, ]+) \| .+\|$", text, re.MULTILINE)
    assert rows, "the README's error code table is gone"
    return {code: {s.strip() for s in statuses.split(",")} for code, statuses in rows}


def test_readme_lists_exactly_the_error_codes_the_schema_documents(schema):
    assert readme_error_codes() == documented_error_codes(schema)


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
