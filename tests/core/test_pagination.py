"""No COUNT(*) over an unfiltered national table: the planner's estimate stands in."""

import pytest
from django.db import connection

from core.pagination import EstimatedCountPaginator
from regions.models import County

pytestmark = pytest.mark.django_db


def set_estimate(table: str, rows: int) -> None:
    # what ANALYZE/autovacuum would write for a national-size table
    with connection.cursor() as cursor:
        cursor.execute("UPDATE pg_class SET reltuples = %s WHERE oid = %s::regclass", [rows, table])


def test_unfiltered_large_table_uses_the_planner_estimate(django_assert_num_queries):
    set_estimate("regions_county", 730_000)
    paginator = EstimatedCountPaginator(County.objects.order_by("code"), 100)

    with django_assert_num_queries(1) as captured:
        count = paginator.count

    assert count == 730_000
    assert "count(" not in captured.captured_queries[0]["sql"].lower()


def test_filtered_lists_and_small_tables_are_counted_exactly():
    set_estimate("regions_county", 730_000)
    filtered = EstimatedCountPaginator(County.objects.filter(province__code="54"), 100)
    assert filtered.count == 74

    set_estimate("regions_county", 2_847)
    small = EstimatedCountPaginator(County.objects.order_by("code"), 100)
    assert small.count == County.objects.count()
