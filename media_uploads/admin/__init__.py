"""Staff views of media, and what the drafts and posts admins reuse.

`assets` registers the media admins; `thumbnails` renders the w160 derivative
without a query per row; `confirmation` is the intermediate page of actions that ask
for a reason; `inlines` holds the read-only inline every admin uses.
"""

from media_uploads.admin.assets import MediaAssetAdmin, StoredObjectDeletionAdmin
from media_uploads.admin.confirmation import (
    ReasonForm,
    action_confirmation,
    action_report,
    apply_to_each,
    reason_or_confirmation,
)
from media_uploads.admin.inlines import ActionsOnlyAdmin, ReadOnlyInline
from media_uploads.admin.thumbnails import thumbnail, thumbnails_prefetch

__all__ = (
    "ActionsOnlyAdmin",
    "MediaAssetAdmin",
    "ReadOnlyInline",
    "ReasonForm",
    "StoredObjectDeletionAdmin",
    "action_confirmation",
    "action_report",
    "apply_to_each",
    "reason_or_confirmation",
    "thumbnail",
    "thumbnails_prefetch",
)
