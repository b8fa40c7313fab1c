from tests.drafts.conftest import draft
from tests.poster.conftest import community

__all__ = ("community", "draft")
