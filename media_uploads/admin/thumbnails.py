"""Thumbnails and derivative previews for admin pages, without a query per row.

Prefetch with `thumbnails_prefetch()` in the admin's `get_queryset` (or an inline's),
then render a column with `thumbnail(asset)`.
"""

from django.db.models import Prefetch
from django.utils.html import format_html
from django.utils.safestring import SafeString

from media_uploads.models import MediaAsset, MediaVariant
from media_uploads.storage import get_storage

THUMBNAIL_VARIANT = "w160"
THUMBNAIL_MAX_PX = 80
PREVIEW_MAX_PX = 320


def thumbnails_prefetch(lookup: str = "variants") -> Prefetch:
    """Prefetch only the thumbnail variant of each asset, into `asset.thumbnails`."""
    return Prefetch(
        lookup,
        queryset=MediaVariant.objects.filter(name=THUMBNAIL_VARIANT),
        to_attr="thumbnails",
    )


def variant_image(variant: MediaVariant, *, max_px: int) -> SafeString:
    # The local backend's URL is relative (/media/...): poster serves it itself.
    return format_html(
        '<img src="{}" width="{}" height="{}" alt="" loading="lazy" '
        'style="max-width:{}px;max-height:{}px;width:auto;height:auto">',
        get_storage().public_url(variant.key),
        variant.width,
        variant.height,
        max_px,
        max_px,
    )


def thumbnail(asset: MediaAsset) -> SafeString | str:
    """The asset's w160 derivative as an <img>; needs `thumbnails_prefetch`."""
    if not asset.thumbnails:
        return "-"
    return variant_image(asset.thumbnails[0], max_px=THUMBNAIL_MAX_PX)


def dimensions(width: int | None, height: int | None) -> str:
    return f"{width} × {height}" if width and height else "-"
