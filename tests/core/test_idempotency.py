from unittest import mock

from django.db import IntegrityError

from core.idempotency import idempotency_key_claim
from core.models import IdempotencyKey, IdempotencyKeyState


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
