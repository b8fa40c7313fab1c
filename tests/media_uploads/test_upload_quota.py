"""The daily upload byte budget: charged at lease time, junk included."""

from datetime import UTC, datetime, timedelta
from unittest import mock

from django.utils import timezone

from media_uploads.models import MediaAsset, UploadQuotaUsage
from media_uploads.services import quota
from media_uploads.services.quota import seconds_until_next_day
from tests.conftest import requests_burst


def lease(api, size_bytes: int):
    payload = {
        "filename": "a.jpg",
        "content_type": "image/jpeg",
        "size_bytes": size_bytes,
    }
    return api.post("/api/v1/media/", payload, format="json")


def test_a_lease_past_the_daily_budget_gets_429_with_retry_after(
    api, user, local_storage, settings
):
    settings.MEDIA_DAILY_BYTES = 2_500
    now = datetime(2026, 11, 29, 23, 0, 0, tzinfo=UTC)
    with mock.patch.object(timezone, "now", return_value=now):
        first = lease(api, 1_000)
        second = lease(api, 1_000)
        refused = lease(api, 1_000)
        fits = lease(api, 500)

    assert [r.status_code for r in (first, second, fits)] == [201, 201, 201]
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "upload_quota_exceeded"
    assert refused["Retry-After"] == "3600"  # the next UTC day starts in an hour
    assert MediaAsset.objects.filter(owner=user).count() == 3
    assert UploadQuotaUsage.objects.get(owner=user).used_bytes == 2_500


def test_failed_or_deleted_junk_still_counts(api, user, local_storage, settings):
    settings.MEDIA_DAILY_BYTES = 1_500
    first = lease(api, 1_000).json()
    MediaAsset.objects.filter(id=first["id"]).update(status="failed")
    api.delete(f"/api/v1/media/{first['id']}/")

    refused = lease(api, 1_000)

    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "upload_quota_exceeded"
    assert not MediaAsset.objects.filter(owner=user).exists()


def test_each_user_has_a_budget_of_their_own(api, other_api, local_storage, settings):
    settings.MEDIA_DAILY_BYTES = 1_000
    lease(api, 1_000)

    assert lease(other_api, 1_000).status_code == 201
    assert lease(api, 1).status_code == 429


def test_a_lease_refused_for_another_reason_is_not_charged(
    api, user, local_storage, settings
):
    settings.MEDIA_MAX_PENDING = 1
    lease(api, 1_000)

    refused = lease(api, 1_000)

    assert refused.json()["error"]["code"] == "too_many_pending_uploads"
    assert UploadQuotaUsage.objects.get(owner=user).used_bytes == 1_000


def test_concurrent_leases_never_overshoot_the_budget(
    transactional_db, local_storage, settings
):
    settings.MEDIA_DAILY_BYTES = 10_000
    settings.MEDIA_MAX_PENDING = 1_000

    statuses = requests_burst(
        "racer", clients=6, requests_each=5, send=lambda client: lease(client, 1_000)
    )

    assert sorted(statuses) == [201] * 10 + [429] * 20
    assert UploadQuotaUsage.objects.get().used_bytes == 10_000


def test_retry_after_counts_to_the_next_utc_midnight():
    now = datetime(2026, 11, 29, 12, 0, 0, 500_000, tzinfo=UTC)

    assert seconds_until_next_day(now) == 12 * 3600
    assert seconds_until_next_day(now.replace(hour=23, minute=59, second=59)) == 1


def test_cleanup_forgets_days_that_can_no_longer_be_charged(user):
    today = timezone.now()
    for days_ago in (0, 1, 2, 3):
        UploadQuotaUsage.objects.create(
            owner=user, day=(today - timedelta(days=days_ago)).date(), used_bytes=1
        )

    purged = quota.upload_quota_purge(now=today)

    assert purged == 2
    assert sorted(UploadQuotaUsage.objects.values_list("day", flat=True)) == [
        (today - timedelta(days=1)).date(),
        today.date(),
    ]
