"""The schema states every constraint the server enforces, and the server refuses
exactly what the schema forbids: what a generated client builds is accepted."""

import jsonschema_rs
import pytest
from django.conf import settings
from django.test import Client

from drafts.services import draft_create
from media_uploads.models import MediaAsset
from tests.api.test_schema_and_docs import operations

LIST_PAGE_SIZES_REFUSED = ["null", "abc", "", "0", "101", "-1", "2.0", "1e2", "١"]


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return Client().get("/api/schema/?format=json").json()


def parameter(schema, operation_id: str, name: str) -> dict:
    (found,) = [
        p for p in operations(schema)[operation_id]["parameters"] if p["name"] == name
    ]
    return found


def request_schema(schema, operation_id: str) -> dict:
    body = operations(schema)[operation_id]["requestBody"]["content"]
    reference = body["application/json"]["schema"]["$ref"]
    return schema["components"]["schemas"][reference.rsplit("/", 1)[1]]


def matches(pattern: str, value: str) -> bool:
    """As JSON Schema validators read `pattern` (ECMA 262: `$` is the very end, unlike
    Python's, which also matches before a final newline)."""
    return jsonschema_rs.is_valid({"type": "string", "pattern": pattern}, value)


# -- what the schema says --------------------------------------------------------


def test_if_match_is_required_and_a_pattern_on_every_operation_that_takes_it(schema):
    taking = {
        operation_id
        for operation_id, operation in operations(schema).items()
        if any(p["name"] == "If-Match" for p in operation.get("parameters", []))
    }

    assert taking >= {"drafts_autosave", "drafts_publish", "drafts_revisions_restore"}
    for operation_id in taking:
        header = parameter(schema, operation_id, "If-Match")
        assert header["required"] is True
        assert header["schema"]["pattern"] == '^(W/)?"[0-9]{1,10}"$'
        assert "428" in operations(schema)[operation_id]["responses"]


def test_idempotency_key_states_its_character_set_and_length(schema):
    for operation_id in ("drafts_create", "drafts_publish"):
        key = parameter(schema, operation_id, "Idempotency-Key")["schema"]
        assert (key["minLength"], key["maxLength"]) == (1, 255)
        assert matches(key["pattern"], "6f1c-a9b0_X.~!")
        assert matches(key["pattern"], "a b")
        for refused in ("", " a", "a ", "ключ", "a\tb"):
            assert not matches(key["pattern"], refused), refused


def test_lease_states_type_size_and_checksum(schema):
    lease = request_schema(schema, "media_lease")["properties"]
    content_type = schema["components"]["schemas"]["ContentTypeEnum"]

    assert content_type["enum"] == list(settings.MEDIA_ALLOWED_CONTENT_TYPES)
    assert (lease["size_bytes"]["minimum"], lease["size_bytes"]["maximum"]) == (
        1,
        settings.MEDIA_MAX_BYTES,
    )
    assert lease["sha256"]["pattern"] == "^[0-9a-fA-F]{64}$"
    assert lease["draft"] == {"type": "string", "format": "uuid", "nullable": True}


def test_every_list_states_page_size_bounds_and_documents_the_400(schema):
    lists = {
        operation_id: operation
        for operation_id, operation in operations(schema).items()
        if any(p["name"] == "page_size" for p in operation.get("parameters", []))
    }

    assert set(lists) >= {"drafts_list", "drafts_revisions_list", "media_list"}
    assert "posts_list" in lists
    for operation_id, operation in lists.items():
        page_size = parameter(schema, operation_id, "page_size")["schema"]
        assert page_size == {"type": "integer", "minimum": 1, "maximum": 100}
        assert "validation_error" in operation["responses"]["400"]["description"]


def test_draft_bodies_refuse_unknown_fields_and_an_empty_autosave(schema):
    create = request_schema(schema, "drafts_create")
    autosave = request_schema(schema, "drafts_autosave")

    assert create["additionalProperties"] is False
    assert "media" not in create["properties"]
    assert autosave["additionalProperties"] is False
    assert autosave["minProperties"] == 1
    assert operations(schema)["drafts_autosave"]["requestBody"]["required"] is True
    assert autosave["properties"]["media"]["uniqueItems"] is True


# -- the server refuses what the schema forbids -----------------------------------


@pytest.mark.parametrize("page_size", LIST_PAGE_SIZES_REFUSED)
def test_a_page_size_the_schema_forbids_is_400_on_every_list(
    api, user, schema, page_size
):
    draft = draft_create(owner=user, changes={})
    lists = [
        path.replace("{draft_id}", str(draft.id))
        for path, methods in schema["paths"].items()
        if "get" in methods
        and any(p["name"] == "page_size" for p in methods["get"].get("parameters", []))
    ]
    assert len(lists) >= 4

    for path in lists:
        response = api.get(path, {"page_size": page_size})

        assert response.status_code == 400, (path, response.content)
        error = response.json()["error"]
        assert (error["code"], list(error["fields"])) == (
            "validation_error",
            ["page_size"],
        )


@pytest.mark.parametrize("page_size", ["1", "100", "07"])
def test_a_page_size_from_1_to_100_is_taken(api, page_size):
    response = api.get("/api/v1/drafts/", {"page_size": page_size})

    assert response.status_code == 200


@pytest.mark.parametrize(
    "header",
    ["", "*", '"1", "2"', 'x, "1"', '"1" x', '"\u0661"', "1", 'W/"x"', '"12345678901"'],
)
def test_an_if_match_the_pattern_refuses_is_400(api, draft, schema, header):
    pattern = parameter(schema, "drafts_autosave", "If-Match")["schema"]["pattern"]
    assert not matches(pattern, header)

    response = api.patch(
        f"/api/v1/drafts/{draft.id}/",
        {"title": "x"},
        format="json",
        HTTP_IF_MATCH=header,
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_precondition"
    draft.refresh_from_db()
    assert (draft.version, draft.title) == (1, "Hello")


@pytest.mark.parametrize(
    ("header", "status"), [('"1"', 200), ('W/"1"', 412), ('"9"', 412)]
)
def test_an_if_match_the_pattern_allows_is_taken_or_a_documented_412(
    api, draft, schema, header, status
):
    pattern = parameter(schema, "drafts_autosave", "If-Match")["schema"]["pattern"]
    assert matches(pattern, header)

    response = api.patch(
        f"/api/v1/drafts/{draft.id}/",
        {"title": "x"},
        format="json",
        HTTP_IF_MATCH=header,
    )

    assert response.status_code == status


TEXTS = ["", "plain", "tab\tand\nnewline", "nul\x00", "emoji \U0001f600", "\x1c"]
URLS = [
    "",
    "h",
    "HTTP:/",
    "https:",
    "http://example.com/a?b=c",
    "HtTpS://x",
    "http://a b",
    "http://a\x1c",
    "http://a\u3000",
    "http://a\x00",
    "ftp://x",
    "httpx",
    "ß",
    " http://x",
]
COMMUNITIES = ["", "abc", "a_b_9", "ab", "x" * 21, "x" * 22, "abc\n", "äbc", "a-b"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", t) for t in TEXTS]
    + [("url", u) for u in URLS]
    + [("community", c) for c in COMMUNITIES],
)
def test_draft_text_patterns_agree_with_the_server(api, schema, field, value):
    property_schema = request_schema(schema, "drafts_create")["properties"][field]
    allowed = (
        matches(property_schema["pattern"], value)
        and len(value) <= (property_schema["maxLength"])
    )

    response = api.post("/api/v1/drafts/", {field: value}, format="json")

    assert response.status_code == (201 if allowed else 400), response.content


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        ("/", None, "no_changes"),
        ("/", {"community": "x" * 22}, "validation_error"),
        ("/publish/", {"publish_at": 5}, "validation_error"),
    ],
)
def test_a_malformed_body_is_400_even_with_a_weak_if_match(
    api, draft, path, body, code
):
    method = api.patch if path == "/" else api.post

    response = method(
        f"/api/v1/drafts/{draft.id}{path}", body, format="json", HTTP_IF_MATCH='W/"1"'
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def test_an_autosave_without_a_body_is_400(api, draft):
    response = api.patch(f"/api/v1/drafts/{draft.id}/", HTTP_IF_MATCH='"1"')

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "no_changes"


@pytest.mark.parametrize(
    "changes",
    [
        {"is_nsfw": "true"},
        {"is_nsfw": 1},
        {"is_spoiler": 0},
        {"is_spoiler": None},
        {"title": 5},
        {"media": [123]},
        {"media": ["0123456789abcdef0123456789abcdef"]},
        {"media": ["urn:uuid:12345678-1234-5678-1234-567812345678"]},
    ],
)
def test_draft_fields_of_the_wrong_json_type_are_400(api, draft, changes):
    response = api.patch(
        f"/api/v1/drafts/{draft.id}/", changes, format="json", HTTP_IF_MATCH='"1"'
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    draft.refresh_from_db()
    assert draft.version == 1


@pytest.mark.parametrize(
    "overrides",
    [
        {"size_bytes": "5"},
        {"size_bytes": 5.0},
        {"size_bytes": True},
        {"draft": 12345},
        {"sha256": "a" * 64 + "\n"},
        {"sha256": "g" * 64},
        {"filename": "a\x00.jpg"},
    ],
)
def test_lease_fields_the_schema_forbids_are_400(api, local_storage, overrides):
    payload = {"filename": "a.jpg", "content_type": "image/jpeg", "size_bytes": 1000}

    response = api.post("/api/v1/media/", {**payload, **overrides}, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "validation_error"
    assert MediaAsset.objects.count() == 0


def test_a_content_type_outside_the_enum_is_415_even_in_capitals(api, local_storage):
    payload = {"filename": "a.jpg", "content_type": "IMAGE/JPEG", "size_bytes": 1000}

    response = api.post("/api/v1/media/", payload, format="json")

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert MediaAsset.objects.count() == 0


def test_an_unknown_media_id_in_an_autosave_is_422(api, draft):
    unknown = "12345678-1234-5678-1234-567812345678"

    response = api.patch(
        f"/api/v1/drafts/{draft.id}/",
        {"media": [unknown]},
        format="json",
        HTTP_IF_MATCH='"1"',
    )

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "reference_not_usable"
    assert error["fields"] == {"media": [f"No such media: {unknown}."]}
    draft.refresh_from_db()
    assert draft.version == 1


# -- links ------------------------------------------------------------------------


def links(schema):
    for operation_id, operation in operations(schema).items():
        for status, response in operation["responses"].items():
            for name, link in response.get("links", {}).items():
                yield operation_id, status, name, link


def test_every_link_names_an_operation_and_its_parameters(schema):
    ops = operations(schema)

    for source, status, name, link in links(schema):
        target = ops[link["operationId"]]
        target_parameters = {p["name"] for p in target.get("parameters", [])}
        assert set(link["parameters"]) <= target_parameters, (source, status, name)
        for expression in link["parameters"].values():
            if expression.startswith("$request.path."):
                source_path = {
                    p["name"] for p in ops[source]["parameters"] if p["in"] == "path"
                }
                assert expression.removeprefix("$request.path.") in source_path
            if expression.startswith("$response.header."):
                header = expression.removeprefix("$response.header.")
                assert header in ops[source]["responses"][status]["headers"]


def test_every_operation_on_a_created_object_is_reached_by_a_link(schema):
    """Stateful testing (and a client) can get every id from an earlier answer."""
    with_path_ids = {
        operation_id
        for operation_id, operation in operations(schema).items()
        if any(p["in"] == "path" for p in operation.get("parameters", []))
    }
    linked = {link["operationId"] for *_, link in links(schema)}

    assert with_path_ids - linked == set()


def test_links_carry_the_new_version_into_the_next_write(schema):
    create_links = operations(schema)["drafts_create"]["responses"]["201"]["links"]

    assert create_links["AutosaveDraft"] == {
        "operationId": "drafts_autosave",
        "parameters": {
            "draft_id": "$response.body#/id",
            "If-Match": "$response.header.ETag",
        },
    }
    lease_links = operations(schema)["media_lease"]["responses"]["201"]["links"]
    assert lease_links["CompleteUpload"]["operationId"] == "media_complete"
    publish_links = operations(schema)["drafts_publish"]["responses"]["202"]["links"]
    assert publish_links["CancelPost"]["operationId"] == "posts_cancel"
