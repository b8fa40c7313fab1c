import re

from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

from core.errors import InvalidInput

PAGE_SIZE_MAX = 100
# What the schema calls an integer in a query string: digits only ("05" is fine,
# "5.0", "null" and "" are not).
QUERY_INTEGER = re.compile(r"[0-9]{1,9}")


class NewestFirstPagination(CursorPagination):
    """Stable cursor pages; `?page_size=` 1 to 100, anything else is 400."""

    ordering = "-created_at"
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = PAGE_SIZE_MAX

    def get_page_size(self, request: Request) -> int:
        # DRF falls back to the default for a value it cannot read; the schema
        # promises a 400 instead, so a client learns its request was not understood.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not QUERY_INTEGER.fullmatch(raw) or not 1 <= int(raw) <= PAGE_SIZE_MAX:
            message = f"Give an integer from 1 to {PAGE_SIZE_MAX}."
            raise InvalidInput.for_field(
                self.page_size_query_param,
                message,
                summary=f"{self.page_size_query_param}: {message}",
            )
        return int(raw)


class RecentlyUpdatedFirstPagination(NewestFirstPagination):
    ordering = ("-updated_at", "-id")


class RevisionNewestFirstPagination(NewestFirstPagination):
    ordering = "-number"
