"""Staff views of media, and the thumbnails the drafts and posts admins reuse.

`assets` registers the media admins; `thumbnails` renders the w160 derivative
without a query per row.
"""

from media_uploads.admin.assets import MediaAssetAdmin, StoredObjectDeletionAdmin
from media_uploads.admin.thumbnails import thumbnail, thumbnails_prefetch

__all__ = (
    "MediaAssetAdmin",
    "StoredObjectDeletionAdmin",
    "thumbnail",
    "thumbnails_prefetch",
)
