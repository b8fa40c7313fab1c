"""OpenAPI pieces every API shares: the error body, request headers, links, a hook.

APIs describe themselves with `extend_schema`, using `errors({404: ["not_found"]})`
for their failures. The hook `add_common_responses_and_headers` then adds what holds
for every authenticated operation (401, 429 with Retry-After; 400 where a query
parameter must parse), the 503 every API operation may answer while a backing service
is down, gives each error response a component of its own whose `code` is an enum of
the codes it can carry (`DraftsAutosaveError412`), adds the OpenAPI links in LINKS
and the response headers named in an operation's `x-response-headers` extension.

The schema is the contract generated clients are built from: every constraint the
server enforces (patterns, enums, bounds, required headers) belongs in it, and
tests/api checks it with Schemathesis and a generated client.

The retry contract for clients: 429 and 503 always carry Retry-After (seconds), and
the same request may be sent again after it. A 503 means nothing was changed, except
that a 503 on an operation that enqueues work may come after its write committed;
each such operation is idempotent, so the retry is safe.
"""

import re

from drf_spectacular.extensions import (
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

from core.api.pagination import PAGE_SIZE_MAX
from core.api.preconditions import VERSION_TAG_PATTERN
from core.idempotency import KEY_MAX_LENGTH

# The key an error response's schema carries from `errors()` to the hook, which turns
# it into an enum of `code` in a component of the operation's own.
ERROR_CODES_KEY = "x-error-codes"


def errors(codes_by_status: dict[int, list[str]]) -> dict[int, OpenApiResponse]:
    """Error responses by status, each listing the `code` values it can carry."""
    return {
        status_code: OpenApiResponse(
            {ERROR_CODES_KEY: list(codes)},
            description="Error codes: " + ", ".join(codes),
        )
        for status_code, codes in codes_by_status.items()
    }


class PlainTextFieldExtension(OpenApiSerializerFieldExtension):
    """PlainTextField refuses NUL and lone surrogates: say so with a pattern."""

    target_class = "core.api.fields.PlainTextField"

    def map_serializer_field(self, auto_schema, direction):
        # Lone surrogates are refused too; see PLAIN_TEXT_PATTERN for why the
        # pattern leaves them out.
        schema = auto_schema._map_serializer_field(
            self.target, direction, bypass_extensions=True
        )
        schema["pattern"] = self.target.schema_pattern
        return schema


IF_MATCH = OpenApiParameter(
    "If-Match",
    # A weak tag is well formed and documented: it never matches (412).
    {"type": "string", "pattern": "^(W/)?" + VERSION_TAG_PATTERN.strip("^$") + "$"},
    OpenApiParameter.HEADER,
    required=True,
    description='The version you last saw, as its strong ETag ("3"). 428 when '
    "missing, 412 when someone changed what you send since (and for a weak tag, "
    "which never matches).",
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    str,
    OpenApiParameter.HEADER,
    description="An ETag you hold: 304 Not Modified while it is current.",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {
        "type": "string",
        # Printable ASCII; no blank at either end, where HTTP would strip it.
        "pattern": f"^[!-~](?:[ -~]{{0,{KEY_MAX_LENGTH - 2}}}[!-~])?$",
        "minLength": 1,
        "maxLength": KEY_MAX_LENGTH,
    },
    OpenApiParameter.HEADER,
    description="Same key and body within 24 h: the first response again "
    "(Idempotent-Replayed: true). Same key, other body: 422 idempotency_key_reused. "
    "While the first still runs: 409 idempotency_request_in_progress.",
)

HEADER_SCHEMAS = {
    "ETag": {
        "description": 'The resource version, e.g. "3"; send it back as If-Match.',
        "schema": {"type": "string"},
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "string"},
    },
    "Location": {
        "description": "Where the new resource lives.",
        "schema": {"type": "string"},
    },
}


# OpenAPI links: how what a response returns feeds the next operations, so clients
# (and stateful test generators) can follow the flow: create, autosave, lease,
# complete, publish, read, cancel, delete. Per (operationId, status): link name ->
# (target operationId, {target parameter: runtime expression}).
CREATED_ID = "$response.body#/id"
SAME_DRAFT = "$request.path.draft_id"
NEW_VERSION = "$response.header.ETag"


def _draft_links(draft_id: str, *, version: str | None) -> dict:
    """Links from an answer that holds a draft to what can be done with it next."""
    writes = {"If-Match": version} if version else {}
    return {
        "GetDraft": ("drafts_get", {"draft_id": draft_id}),
        "AutosaveDraft": ("drafts_autosave", {"draft_id": draft_id, **writes}),
        "PublishDraft": ("drafts_publish", {"draft_id": draft_id, **writes}),
        "ListRevisions": ("drafts_revisions_list", {"draft_id": draft_id}),
        "DeleteDraft": ("drafts_delete", {"draft_id": draft_id}),
        "CheckDraft": ("drafts_check", {"draft_id": draft_id}),
        "GetCommunity": ("communities_get", {"name": "$response.body#/community"}),
    }


def _media_links(asset_id: str) -> dict:
    return {
        "GetMedia": ("media_get", {"asset_id": asset_id}),
        "CompleteUpload": ("media_complete", {"asset_id": asset_id}),
        "UpdateMedia": ("media_update", {"asset_id": asset_id}),
        "DeleteMedia": ("media_delete", {"asset_id": asset_id}),
    }


def _post_links(post_id: str) -> dict:
    return {
        "GetPost": ("posts_get", {"post_id": post_id}),
        "CancelPost": ("posts_cancel", {"post_id": post_id}),
        "DeletePost": ("posts_delete", {"post_id": post_id}),
    }


LINKS: dict[tuple[str, str], dict[str, tuple[str, dict[str, str]]]] = {
    ("drafts_create", "201"): _draft_links(CREATED_ID, version=NEW_VERSION),
    ("drafts_get", "200"): _draft_links(SAME_DRAFT, version=NEW_VERSION),
    ("drafts_autosave", "200"): _draft_links(SAME_DRAFT, version=NEW_VERSION),
    ("drafts_revisions_list", "200"): {
        name: (
            target,
            {"draft_id": SAME_DRAFT, "number": "$response.body#/results/0/number"},
        )
        for name, target in (
            ("GetRevision", "drafts_revisions_get"),
            ("RestoreRevision", "drafts_revisions_restore"),
        )
    },
    ("drafts_revisions_restore", "200"): _draft_links(SAME_DRAFT, version=NEW_VERSION),
    ("media_lease", "201"): _media_links(CREATED_ID),
    ("media_complete", "200"): _media_links(CREATED_ID),
    ("media_complete", "202"): _media_links(CREATED_ID),
    ("drafts_publish", "201"): _post_links(CREATED_ID),
    ("drafts_publish", "202"): _post_links(CREATED_ID),
    ("posts_cancel", "200"): _draft_links(CREATED_ID, version=None),
}

# Errors every authenticated operation can answer, whatever it does.
COMMON_ERRORS = {
    "401": ["not_authenticated", "authentication_failed"],
    "429": ["throttled"],
}
# A query parameter the server must parse or check (not a free string) is 400 when
# it cannot.
QUERY_ERRORS = {"400": ["validation_error"]}
FREE_STRING = {"type": "string"}


def _error_schema(codes: list[str]) -> dict:
    return {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {
                        "type": "string",
                        "enum": codes,
                        "description": "Machine-readable: switch on it.",
                    },
                    "message": {"type": "string", "description": "For a person."},
                    "fields": {
                        "type": "object",
                        "additionalProperties": {},
                        "description": "Per-field messages; validation errors only.",
                    },
                    "violations": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": {"type": "string"},
                        },
                        "description": "requirements_not_met only: every rule the "
                        "draft breaks, as {rule, field, severity, message} (the "
                        "drafts_check answer's list).",
                    },
                },
                # Some errors carry more (412 edit_conflict: current, conflicting
                # fields); clients may rely on code and message only.
                "additionalProperties": {},
            }
        },
    }


def _component_name(operation_id: str, status_code: str) -> str:
    words = re.split(r"[^A-Za-z0-9]+", operation_id)
    return "".join(word.capitalize() for word in words) + f"Error{status_code}"


def _add_error(responses: dict, status_code: str, codes: list[str]) -> None:
    response = responses.setdefault(
        status_code, {"content": {"application/json": {"schema": {}}}}
    )
    schema = response["content"]["application/json"]["schema"]
    known = schema.get(ERROR_CODES_KEY, [])
    schema[ERROR_CODES_KEY] = known + [code for code in codes if code not in known]


def _document_errors(result: dict, operation: dict) -> None:
    """Give each error response a component whose `code` is an enum of its codes."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    for status_code, response in operation["responses"].items():
        content = response.get("content", {}).get("application/json", {})
        codes = content.get("schema", {}).get(ERROR_CODES_KEY)
        if codes is None:
            continue
        name = _component_name(operation["operationId"], status_code)
        components[name] = _error_schema(codes)
        content["schema"] = {"$ref": f"#/components/schemas/{name}"}
        label = "Error code: " if len(codes) == 1 else "Error codes: "
        response["description"] = label + ", ".join(codes)


def _require_bodies_that_need_a_field(result: dict, operation: dict) -> None:
    """A body that must name a field (minProperties) cannot be left out either."""
    body = operation.get("requestBody")
    if not body:
        return
    for media_type in body.get("content", {}).values():
        reference = media_type.get("schema", {}).get("$ref", "")
        component = result["components"]["schemas"].get(reference.rsplit("/", 1)[-1])
        if component and component.get("minProperties", 0) > 0:
            body["required"] = True


def _link(target: str, parameters: dict[str, str]) -> dict:
    return {"operationId": target, "parameters": parameters}


EMPTY_STRING_BRANCH = {"type": "string", "maxLength": 0}


def _merge_blank_branches(schema: object) -> None:
    """drf-spectacular writes a blank-allowing field with a pattern as
    oneOf(pattern, maxLength 0). When the pattern takes "" too, "" matches both
    branches, which oneOf forbids: a valid request would fail validation. Keep the
    one branch that says it all."""
    if isinstance(schema, list):
        for item in schema:
            _merge_blank_branches(item)
    if not isinstance(schema, dict):
        return
    branches = schema.get("oneOf")
    if (
        isinstance(branches, list)
        and len(branches) == 2
        and branches[1] == EMPTY_STRING_BRANCH
        and re.search(branches[0].get("pattern", "(?!)"), "")
    ):
        del schema["oneOf"]
        schema.update(branches[0])
    for value in schema.values():
        _merge_blank_branches(value)


def add_common_responses_and_headers(result: dict, **kwargs) -> dict:
    _merge_blank_branches(result.get("components", {}))
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            links = {
                (operation.get("operationId"), status_code): response
                for status_code, response in responses.items()
            }
            for key, targets in LINKS.items():
                if key in links:
                    links[key]["links"] = {
                        name: _link(target, parameters)
                        for name, (target, parameters) in targets.items()
                    }
            if path.startswith("/api/v1/") and operation.get("security"):
                for status_code, codes in COMMON_ERRORS.items():
                    _add_error(responses, status_code, codes)
            if any(
                parameter["in"] == "query"
                and parameter.get("schema", FREE_STRING) != FREE_STRING
                for parameter in operation.get("parameters", [])
            ):
                for status_code, codes in QUERY_ERRORS.items():
                    _add_error(responses, status_code, codes)
            if "requestBody" in operation:
                # Bodies over API_MAX_BODY_BYTES are refused before they are read.
                _add_error(responses, "413", ["request_too_large"])
            if path.startswith("/api/"):
                # The database, the cache or the broker briefly down (a restart, a
                # failover): retry the same request after Retry-After.
                _add_error(responses, "503", ["service_unavailable"])
            _document_errors(result, operation)
            _require_bodies_that_need_a_field(result, operation)
            header_names = operation.pop("x-response-headers", {})
            for status_code, response in responses.items():
                names = list(header_names.get(status_code, []))
                if status_code in ("429", "503"):
                    names.append("Retry-After")
                if names:
                    response["headers"] = {name: HEADER_SCHEMAS[name] for name in names}
    return result


def cursor_page(item_serializer: type[serializers.Serializer], name: str):
    """The schema of a cursor page of `item_serializer` items."""
    return inline_serializer(
        name=name,
        fields={
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item_serializer(many=True),
        },
    )


def response_headers(headers_by_status: dict[int, list[str]]) -> dict:
    """`extensions=` for extend_schema: headers the hook adds to these responses."""
    return {
        "x-response-headers": {
            str(status_code): names for status_code, names in headers_by_status.items()
        }
    }


CURSOR = OpenApiParameter(
    "cursor", str, OpenApiParameter.QUERY, description="From a page's next/previous."
)
PAGE_SIZE = OpenApiParameter(
    "page_size",
    {"type": "integer", "minimum": 1, "maximum": PAGE_SIZE_MAX},
    OpenApiParameter.QUERY,
    description=f"1 to {PAGE_SIZE_MAX}; default 20. Anything else is 400.",
)


class InputSerializerExtension(OpenApiSerializerExtension):
    """Request bodies say what the server refuses: unknown fields
    (`rejects_unknown_fields`) and an empty PATCH (`patch_requires_a_field`), and
    that no field is required where the API validates partially
    (`takes_any_subset`)."""

    target_class = "core.api.serializers.HotPathSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        if direction == "request":
            if getattr(self.target, "rejects_unknown_fields", False):
                schema["additionalProperties"] = False
            if getattr(self.target, "takes_any_subset", False):
                # Every field is optional (the API validates partially).
                schema.pop("required", None)
            if auto_schema.method == "PATCH" and getattr(
                self.target, "patch_requires_a_field", False
            ):
                schema["minProperties"] = 1
        return schema
