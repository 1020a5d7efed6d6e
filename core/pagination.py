"""Pagination for human-facing lists (bounded page size)."""

from django.core.paginator import Paginator as DjangoPaginator
from django.db import connection
from django.utils.functional import cached_property
from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """Page-number pagination with a client-chosen page size capped at 100."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100


class EstimatedCountPaginator(DjangoPaginator):
    """A Django paginator that does not COUNT(*) an unfiltered national table.

    The exact count is the only part of a list request that grows with the table (20 ms
    at 730,000 rows, PERFORMANCE.md). With no WHERE clause on PostgreSQL, and a planner
    estimate (pg_class.reltuples, kept fresh by autovacuum) above ESTIMATE_FROM rows,
    the estimate is used; filtered or smaller lists count exactly.
    """

    ESTIMATE_FROM = 100_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        query = getattr(queryset, "query", None)
        if query is not None and not query.where and connection.vendor == "postgresql":
            estimate = table_estimate(queryset.model._meta.db_table)
            if estimate >= self.ESTIMATE_FROM:
                return estimate
        return super().count


def table_estimate(table: str) -> int:
    """The planner's row estimate for a table (-1 when never analysed)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table])
        row = cursor.fetchone()
    return int(row[0]) if row else -1
