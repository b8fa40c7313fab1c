"""What every app's admin reuses: admins whose rows change only through actions,
read-only inlines, and the intermediate page of actions that ask for a reason.

`confirmation` renders that page and applies an action to each selected row;
`inlines` holds the read-only building blocks.
"""

from core.admin_kit.confirmation import (
    ReasonForm,
    action_confirmation,
    action_report,
    apply_to_each,
    reason_or_confirmation,
)
from core.admin_kit.inlines import ActionsOnlyAdmin, ReadOnlyInline

__all__ = (
    "ActionsOnlyAdmin",
    "ReadOnlyInline",
    "ReasonForm",
    "action_confirmation",
    "action_report",
    "apply_to_each",
    "reason_or_confirmation",
)
