"""The drafts API: one class per operation (see drafts/urls.py)."""

from drafts.apis.drafts import (
    DraftAutosaveApi,
    DraftCreateApi,
    DraftDeleteApi,
    DraftDetailApi,
    DraftListApi,
)
from drafts.apis.representations import (
    DraftFieldsSerializer,
    DraftOutputSerializer,
    draft_fields_data,
    edit_conflict_error,
)
from drafts.apis.revisions import (
    DraftRevisionDetailApi,
    DraftRevisionListApi,
    DraftRevisionRestoreApi,
)

__all__ = (
    "DraftAutosaveApi",
    "DraftCreateApi",
    "DraftDeleteApi",
    "DraftDetailApi",
    "DraftFieldsSerializer",
    "DraftListApi",
    "DraftOutputSerializer",
    "DraftRevisionDetailApi",
    "DraftRevisionListApi",
    "DraftRevisionRestoreApi",
    "draft_fields_data",
    "edit_conflict_error",
)
