"""API list page of 100 lawyers against the raw SQL returning the same rows, at national scale.

    python -m bench.run api_bench                  (default 200,000 lawyers, BENCH_ROWS)
    BENCH_ROWS=730000 python -m bench.run api_bench

The lawyers table (each lawyer with a current licence, as the API nests the licence
history) is filled in a database of its own (BENCH_DATABASE_URL). One page of 100 rows is
requested through the whole stack — Django's middleware, API-key authentication, throttling,
the policy's scoping, DRF, JSON — with a ministry key, in three modes:

- page numbers: `?page=3&page_size=100` (the unfiltered count is the planner's estimate)
- keyset: `?updated_since=<the middle of the table>&page_size=100`
- keyset: `?cursor=<a cursor from the middle>&page_size=100`

and compared with psycopg2 running the very SELECTs that request ran for its rows (the
lawyers page, then their licences) and fetching them. Variants are interleaved, REPEAT
times, after a warm-up; medians are printed with the ratio API / raw SQL (the issue asks at
most 10x). Nothing is asserted.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import time
from typing import Any

REPEAT = 21  # interleaved rounds (after two warm-up rounds)


def _setup(rows: int) -> None:
    """BENCH_ROWS lawyers (the admin benchmark's rows), each with its current licence."""
    from django.db import connection

    from bench.admin_list_bench import _setup as add_lawyers

    add_lawyers(rows)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO lawyers_lawyerlicence (lawyer_id, number, issuing_province_id,
                city_code, licensed_year, category, valid_from, is_current, created_at,
                updated_at)
            SELECT l.id, l.current_licence_no, l.province_id, '01', 2010, '1', %s, true,
                now(), now()
            FROM lawyers_lawyer l
            WHERE NOT EXISTS (SELECT 1 FROM lawyers_lawyerlicence c WHERE c.lawyer_id = l.id)
            """,
            [dt.date(2010, 7, 1)],
        )
        cursor.execute("ANALYZE lawyers_lawyer")
        cursor.execute("ANALYZE lawyers_lawyerlicence")


def _ministry_key() -> str:
    from accounts.api_keys import issue_api_key
    from accounts.models import Organisation, User
    from accounts.policy import Role

    root, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"is_superuser": True, "is_staff": True}
    )
    ministry, _ = Organisation.objects.get_or_create(
        kind=Role.MINISTRY, province=None, defaults={"name": "司法部"}
    )
    return issue_api_key(actor=root, organisation=ministry, name="api bench").secret


def _data_queries(client: Any, url: str) -> list[str]:
    """The SELECTs the API request ran for its rows: the lawyers and their licences."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (response.status_code, response.content[:300])
    assert len(response.json()["results"]) == 100
    selects = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT")
        and ('FROM "lawyers_lawyer"' in q["sql"] or 'FROM "lawyers_lawyerlicence"' in q["sql"])
        and "COUNT(" not in q["sql"].upper()
    ]
    assert len(selects) == 2, selects
    return selects


def _raw(sqls: list[str]) -> int:
    from django.db import connection

    rows = 0
    with connection.cursor() as cursor:
        for sql in sqls:
            cursor.execute(sql)
            rows += len(cursor.fetchall())
    return rows


def _middle(queryset: Any) -> Any:
    count = queryset.count()
    return queryset.order_by("updated_at", "id").values_list("updated_at", "id")[count // 2]


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import setup_test_environment

    from core.pagination import encode_cursor
    from lawyers.models import Lawyer

    setup_test_environment(debug=False)
    settings.DEBUG = False  # no query log in the timed requests
    rows = int(os.environ.get("BENCH_ROWS", "200000"))
    repeat = REPEAT
    call_command("migrate", verbosity=0)
    _setup(rows)
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {_ministry_key()}")
    total = Lawyer.objects.count()

    since, middle_id = _middle(Lawyer.objects.all())
    cursor = encode_cursor((since, middle_id))
    urls = {
        "page numbers (?page=3)": "/api/v1/lawyers/?page=3&page_size=100",
        "keyset (?updated_since=)": (
            f"/api/v1/lawyers/?page_size=100&updated_since={since.isoformat().replace('+', '%2B')}"
        ),
        "keyset (?cursor=)": f"/api/v1/lawyers/?page_size=100&cursor={cursor}",
    }
    raw_sql = {mode: _data_queries(client, url) for mode, url in urls.items()}
    query_counts = {}
    for mode, url in urls.items():
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        query_counts[mode] = len(queries)

    samples: dict[tuple[str, str], list[float]] = {
        (mode, kind): [] for mode in urls for kind in ("api", "raw")
    }
    for round_ in range(repeat + 2):  # two warm-up rounds, not counted
        for mode, url in urls.items():
            started = time.perf_counter()
            response = client.get(url)
            api = time.perf_counter() - started
            assert response.status_code == 200, response.status_code
            started = time.perf_counter()
            fetched = _raw(raw_sql[mode])
            raw = time.perf_counter() - started
            assert fetched >= 100, fetched
            if round_ >= 2:
                samples[(mode, "api")].append(api)
                samples[(mode, "raw")].append(raw)
        reset_queries()

    print(
        f"{total:,} lawyers (each with its current licence), pages of 100, "
        f"{repeat} interleaved rounds, medians"
    )
    print(f"{'mode':<26} {'API':>9} {'raw SQL':>9} {'API / raw':>10} {'queries':>8}")
    for mode in urls:
        api = statistics.median(samples[(mode, "api")])
        raw = statistics.median(samples[(mode, "raw")])
        print(
            f"{mode:<26} {api * 1000:7.2f}ms {raw * 1000:7.2f}ms {api / raw:9.1f}x "
            f"{query_counts[mode]:>8}"
        )
    print("(raw SQL: the request's own SELECTs of the lawyers page and their licences)")


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault(
        "DATABASE_URL",
        os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pairing_bench"),
    )
    main()
