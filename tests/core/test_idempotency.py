import json
from unittest import mock

from django.db import IntegrityError

from core.idempotency import idempotency_key_claim
from core.models import IdempotencyKey, IdempotencyKeyState
from drafts.models import Draft


def test_a_holder_gone_before_it_is_read_lets_the_claim_retry(user):
    real_create = IdempotencyKey.objects.create
    attempts = []

    def create_after_a_vanished_holder(**fields):
        attempts.append(fields["key"])
        if len(attempts) == 1:  # a holder existed, released before we read it
            raise IntegrityError("duplicate key value")
        return real_create(**fields)

    with mock.patch.object(
        IdempotencyKey.objects, "create", side_effect=create_after_a_vanished_holder
    ):
        stored = idempotency_key_claim(
            owner=user, scope="drafts.create", key="k", fingerprint="f"
        )

    assert stored is None  # claimed: the request runs
    assert attempts == ["k", "k"]
    claim = IdempotencyKey.objects.get(owner=user, scope="drafts.create", key="k")
    assert claim.state == IdempotencyKeyState.IN_PROGRESS


def test_a_large_response_is_remembered_as_its_summary_only(api, user, settings):
    settings.IDEMPOTENCY_MAX_RESPONSE_BYTES = 2_000
    payload = {"kind": "text", "title": "Long", "body": "x" * 5_000}

    first = api.post(
        "/api/v1/drafts/", payload, format="json", HTTP_IDEMPOTENCY_KEY="big"
    )
    replay = api.post(
        "/api/v1/drafts/", payload, format="json", HTTP_IDEMPOTENCY_KEY="big"
    )

    assert first.status_code == replay.status_code == 201
    assert first.json()["body"] == "x" * 5_000
    assert replay.json() == {
        "id": first.json()["id"],
        "version": 1,
        "replay_truncated": True,
    }
    assert replay["ETag"] == first["ETag"]
    assert replay["Idempotent-Replayed"] == "true"
    stored = IdempotencyKey.objects.get(key="big").response_body
    assert len(json.dumps(stored)) < 200
    assert Draft.objects.filter(owner=user).count() == 1


def test_a_small_response_is_replayed_whole(api, settings):
    payload = {"kind": "text", "title": "Short"}

    first = api.post(
        "/api/v1/drafts/", payload, format="json", HTTP_IDEMPOTENCY_KEY="small"
    )
    replay = api.post(
        "/api/v1/drafts/", payload, format="json", HTTP_IDEMPOTENCY_KEY="small"
    )

    assert replay.json() == first.json()
