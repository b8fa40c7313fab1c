"""Purging a CDN in front of the public derivatives.

With `CDN_DISTRIBUTION_ID` set, `cdn_invalidate(urls)` asks CloudFront (through boto3)
to forget the paths of those public URLs, so a take-down is not undone by a cached
copy; without it there is nothing to purge and the call does nothing. Derivatives are
also served with a bounded `max-age` (MEDIA_CACHE_MAX_AGE_SECONDS), which caps how
long any other cache can keep one.
"""

import uuid
from urllib.parse import urlparse

import boto3
from django.conf import settings

# CloudFront takes at most this many paths per invalidation batch.
PATHS_PER_INVALIDATION = 3000


def cdn_invalidate(urls: list[str]) -> int:
    """Invalidate the paths of `urls`; return how many were sent (0: no CDN)."""
    if not settings.CDN_DISTRIBUTION_ID or not urls:
        return 0
    client = boto3.client(
        "cloudfront",
        aws_access_key_id=settings.AWS_ACCESS_KEY_ID,
        aws_secret_access_key=settings.AWS_SECRET_ACCESS_KEY,
    )
    paths = sorted({urlparse(url).path for url in urls})
    for start in range(0, len(paths), PATHS_PER_INVALIDATION):
        batch = paths[start : start + PATHS_PER_INVALIDATION]
        client.create_invalidation(
            DistributionId=settings.CDN_DISTRIBUTION_ID,
            InvalidationBatch={
                "Paths": {"Quantity": len(batch), "Items": batch},
                "CallerReference": uuid.uuid4().hex,
            },
        )
    return len(paths)
