from rest_framework.pagination import CursorPagination


class NewestFirstPagination(CursorPagination):
    """Stable cursor pages; `?page_size=` up to 100."""

    ordering = "-created_at"
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class RecentlyUpdatedFirstPagination(NewestFirstPagination):
    ordering = ("-updated_at", "-id")


class RevisionNewestFirstPagination(NewestFirstPagination):
    ordering = "-number"
