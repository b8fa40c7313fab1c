"""API request bodies over API_MAX_BODY_BYTES are refused before they are read."""

import io
import json

from django.core.handlers.wsgi import WSGIHandler
from django.test import RequestFactory

from drafts.models import Draft
from tests.conftest import token_client


class EndlessBody(io.RawIOBase):
    """A request body larger than any process could hold; counts what is read."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        buffer[:] = b"x" * len(buffer)
        self.read_bytes += len(buffer)
        return len(buffer)


def test_a_body_larger_than_the_process_could_hold_gets_413_unread(
    transactional_db,
):
    token = token_client("alice")._credentials["HTTP_AUTHORIZATION"]
    body = EndlessBody()
    environ = RequestFactory()._base_environ(
        REQUEST_METHOD="POST",
        PATH_INFO="/api/v1/drafts/",
        CONTENT_TYPE="application/json",
        CONTENT_LENGTH=str(64 * 1024**3),  # 64 GiB
        HTTP_AUTHORIZATION=token,
        **{"wsgi.input": body},
    )
    started = {}

    chunks = WSGIHandler()(
        environ, lambda status, headers: started.update(status=status)
    )
    answer = json.loads(b"".join(chunks))

    assert started["status"] == "413 Request Entity Too Large"
    assert answer["error"]["code"] == "request_too_large"
    assert answer["error"]["message"] == "The request body is larger than 524288 bytes."
    assert body.read_bytes == 0
    assert not Draft.objects.exists()


def test_the_cap_holds_on_every_api_route_and_the_limit_itself_passes(api, settings):
    settings.API_MAX_BODY_BYTES = 2_000
    over = {"kind": "text", "title": "T", "body": "x" * 2_000}
    at_limit = {"kind": "text", "title": "T", "body": "x" * 1_900}

    created = api.post("/api/v1/drafts/", at_limit, format="json")
    refused = [
        api.post("/api/v1/drafts/", over, format="json"),
        api.patch(f"/api/v1/drafts/{created.json()['id']}/", over, format="json"),
        api.post("/api/v1/media/", over, format="json"),
    ]

    assert len(json.dumps(at_limit)) <= 2_000 < len(json.dumps(over))
    assert created.status_code == 201
    assert [r.status_code for r in refused] == [413, 413, 413]
    assert {r.json()["error"]["code"] for r in refused} == {"request_too_large"}
    assert Draft.objects.get().body == "x" * 1_900
