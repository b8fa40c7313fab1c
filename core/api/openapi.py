"""OpenAPI pieces every API shares: the error body, request headers, and a hook.

APIs describe themselves with `extend_schema`, using `errors({404: ["not_found"]})`
for their failures. The hook `add_common_responses_and_headers` then adds what holds
for every authenticated operation (401, 429 with Retry-After), the 503 every API
operation may answer while a backing service is down, and the response headers named
in an operation's `x-response-headers` extension.

The retry contract for clients: 429 and 503 always carry Retry-After (seconds), and
the same request may be sent again after it. A 503 means nothing was changed, except
that a 503 on an operation that enqueues work may come after its write committed;
each such operation is idempotent, so the retry is safe.
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable, snake_case.")
    message = serializers.CharField(help_text="For a person.")
    fields = serializers.DictField(
        required=False, help_text="Per-field messages; validation errors only."
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


def errors(codes_by_status: dict[int, list[str]]) -> dict[int, OpenApiResponse]:
    return {
        status_code: OpenApiResponse(
            ErrorSerializer, description="Error codes: " + ", ".join(codes)
        )
        for status_code, codes in codes_by_status.items()
    }


IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
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
    str,
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
ERROR_REFERENCE = {"$ref": "#/components/schemas/Error"}
OUTAGE_DESCRIPTION = (
    "service_unavailable: the database, the cache or the broker is briefly down "
    "(a restart, a failover). Retry the same request after Retry-After seconds."
)


# OpenAPI links: how the id a response returns feeds the next operations, so clients
# (and stateful test generators) can follow the flow.
LINKS = {
    ("drafts_create", "201"): {
        "id": "$response.body#/id",
        "targets": {
            "GetDraft": ("drafts_get", "draft_id"),
            "AutosaveDraft": ("drafts_autosave", "draft_id"),
            "PublishDraft": ("drafts_publish", "draft_id"),
            "ListRevisions": ("drafts_revisions_list", "draft_id"),
            "DeleteDraft": ("drafts_delete", "draft_id"),
        },
    },
    ("media_lease", "201"): {
        "id": "$response.body#/id",
        "targets": {
            "GetMedia": ("media_get", "asset_id"),
            "CompleteUpload": ("media_complete", "asset_id"),
            "UpdateMedia": ("media_update", "asset_id"),
            "DeleteMedia": ("media_delete", "asset_id"),
        },
    },
    ("drafts_publish", "201"): {
        "id": "$response.body#/id",
        "targets": {
            "GetPost": ("posts_get", "post_id"),
            "DeletePost": ("posts_delete", "post_id"),
        },
    },
    ("drafts_publish", "202"): {
        "id": "$response.body#/id",
        "targets": {
            "GetPost": ("posts_get", "post_id"),
            "CancelPost": ("posts_cancel", "post_id"),
        },
    },
}


def add_common_responses_and_headers(result: dict, **kwargs) -> dict:
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            for (operation_id, status_code), link in LINKS.items():
                response = operation.get("responses", {}).get(status_code)
                if operation.get("operationId") == operation_id and response:
                    response["links"] = {
                        name: {
                            "operationId": target,
                            "parameters": {parameter: link["id"]},
                        }
                        for name, (target, parameter) in link["targets"].items()
                    }
            responses = operation.setdefault("responses", {})
            if path.startswith("/api/v1/") and operation.get("security"):
                responses.setdefault(
                    "401",
                    {
                        "description": "Error codes: not_authenticated, "
                        "authentication_failed",
                        "content": {"application/json": {"schema": ERROR_REFERENCE}},
                    },
                )
                responses.setdefault(
                    "429",
                    {
                        "description": "Error code: throttled",
                        "content": {"application/json": {"schema": ERROR_REFERENCE}},
                    },
                )
            if path.startswith("/api/"):
                outage = responses.setdefault(
                    "503",
                    {
                        "description": "",
                        "content": {"application/json": {"schema": ERROR_REFERENCE}},
                    },
                )
                outage["description"] = "; ".join(
                    filter(None, [outage["description"], OUTAGE_DESCRIPTION])
                )
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
    "page_size", int, OpenApiParameter.QUERY, description="1 to 100; default 20."
)
