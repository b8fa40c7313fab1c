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
    draft_conflict_answer,
    draft_fields_data,
)
from drafts.apis.revisions import (
    DraftRevisionDetailApi,
    DraftRevisionListApi,
    DraftRevisionRestoreApi,
)

__all__ = (
    "draft_conflict_answer",
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
)
