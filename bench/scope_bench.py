"""Scoped reads at national scale (issue 22 §4): a province's reads beside the ministry's.

    BENCH_ROWS=751520 python -m bench.run scope_bench     (default 751,520 lawyers)

Two databases of their own, filled by bench.national_data (lawyers and firms in
proportion to the provinces' real numbers): BENCH_DATABASE_URL at 1/10 of BENCH_ROWS
(name + "_tenth") and at BENCH_ROWS. At each scale, in interleaved rounds, medians:

- API page of 100 (`?page=3`) and of 10 as the ministry's key, as the 湖南 partner's key,
  and the raw SQL (psycopg2, fetchall) of the partner request's own data SELECTs;
- the partner's scoped exact COUNT (the request's own COUNT statement, raw), and the
  partner's page of 10 with the count reused (SCOPE_COUNT_SECONDS, as served) and counted
  on every request;
- the 湖南 justice department's admin lawyer changelist;
- admin lawyer search for 张伟 (name, pinyin, initials, licence number) as the ministry
  and as the department (the portal has no lawyer list; its searches use the same
  lookups on the same columns);
- the cheapest authenticated request: one province by id with an API key, in-process.
Then a cProfile of the cheapest request (its fixed cost, by the top functions).
Nothing is asserted.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import statistics
import time
from typing import Any

ROUNDS = 11


def _switch(name: str) -> None:
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = name


def _ensure_database(name: str) -> None:
    import psycopg2
    from django.db import connection

    params = dict(connection.get_connection_params())
    params["dbname"] = "postgres"
    conn = psycopg2.connect(**params)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def _actors() -> dict[str, Any]:
    from accounts.api_keys import issue_api_key
    from accounts.models import ApiKey, Organisation, User
    from accounts.policy import Role
    from regions.models import Province

    hunan = Province.objects.get(code="43")
    root, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"is_superuser": True, "is_staff": True}
    )
    ministry, _ = Organisation.objects.get_or_create(
        kind=Role.MINISTRY, province=None, defaults={"name": "司法部"}
    )
    partner, _ = Organisation.objects.get_or_create(
        kind=Role.PARTNER, province=hunan, defaults={"name": "湖南律师管理系统"}
    )
    dept, _ = Organisation.objects.get_or_create(
        kind=Role.JUSTICE_DEPARTMENT, province=hunan, defaults={"name": "湖南省司法厅"}
    )
    bar, _ = Organisation.objects.get_or_create(
        kind=Role.BAR_ASSOCIATION, province=hunan, defaults={"name": "湖南省律师协会"}
    )
    users = {}
    for username, org in (("bench-hunan-dept", dept), ("bench-hunan-bar", bar)):
        user, _ = User.objects.get_or_create(
            username=username, defaults={"organisation": org, "is_staff": True}
        )
        users[username] = user
    ApiKey.objects.filter(name__startswith="scope bench").update(revoked_at=None)
    return {
        "root": root,
        "dept": users["bench-hunan-dept"],
        "bar": users["bench-hunan-bar"],
        "ministry_key": issue_api_key(actor=root, organisation=ministry, name="scope bench").secret,
        "partner_key": issue_api_key(actor=root, organisation=partner, name="scope bench").secret,
        "hunan": hunan,
    }


def _selects(client: Any, url: str) -> tuple[list[str], str | None]:
    """The data SELECTs of a list request, and its COUNT statement."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (response.status_code, response.content[:300])
    data, count = [], None
    for q in queries.captured_queries:
        sql = q["sql"]
        if not sql.startswith("SELECT"):
            continue
        if 'FROM "lawyers_lawyer"' in sql or 'FROM "lawyers_lawyerlicence"' in sql:
            if "COUNT(" in sql.upper():
                count = sql
            else:
                data.append(sql)
    return data, count


def _raw(sqls: list[str]) -> int:
    from django.db import connection

    rows = 0
    with connection.cursor() as cursor:
        for sql in sqls:
            cursor.execute(sql)
            rows += len(cursor.fetchall())
    return rows


def _measure(rows: int) -> dict[str, float]:
    from django.test import Client

    actors = _actors()
    ministry = Client(HTTP_AUTHORIZATION=f"Api-Key {actors['ministry_key']}")
    partner = Client(HTTP_AUTHORIZATION=f"Api-Key {actors['partner_key']}")
    dept = Client()
    dept.force_login(actors["dept"])
    root = Client()
    root.force_login(actors["root"])
    bar = Client()
    bar.force_login(actors["bar"])
    page100 = "/api/v1/lawyers/?page=3&page_size=100"
    page10 = "/api/v1/lawyers/?page=3&page_size=10"
    from django.test.utils import override_settings

    # the statements as they run when the scope's count is not reused (SCOPE_COUNT_SECONDS)
    with override_settings(SCOPE_COUNT_SECONDS=0):
        raw100, count_sql = _selects(partner, page100)
        raw10, _ = _selects(partner, page10)

    def recounted(client: Any, url: str) -> Any:
        with override_settings(SCOPE_COUNT_SECONDS=0):
            return client.get(url)

    province_url = f"/api/v1/provinces/{actors['hunan'].pk}/"
    search = "/admin/lawyers/lawyer/?q=%E5%BC%A0%E4%BC%9F"  # 张伟
    cases: dict[str, Any] = {
        "API page 100, ministry key": lambda: ministry.get(page100),
        "API page 100, 湖南 partner key": lambda: partner.get(page100),
        "raw SQL of the partner's page 100": lambda: _raw(raw100),
        "API page 10, ministry key": lambda: ministry.get(page10),
        "API page 10, 湖南 partner key": lambda: partner.get(page10),
        "API page 10, 湖南 partner, count every time": lambda: recounted(partner, page10),
        "raw SQL of the partner's page 10": lambda: _raw(raw10),
        "partner's exact COUNT (raw)": lambda: _raw([count_sql]) if count_sql else None,
        "admin lawyer changelist, ministry": lambda: root.get("/admin/lawyers/lawyer/"),
        "admin lawyer changelist, 湖南 department": lambda: dept.get("/admin/lawyers/lawyer/"),
        "admin search 张伟, ministry": lambda: root.get(search),
        "admin search 张伟, 湖南 department": lambda: dept.get(search),
        "admin search 'zw' (initials), department": lambda: dept.get("/admin/lawyers/lawyer/?q=zw"),
        "cheapest: province by id, API key": lambda: ministry.get(province_url),
    }
    for name, call in cases.items():  # warm-up, and every page answers
        result = call()
        status = getattr(result, "status_code", 200)
        if status != 200:
            print(f"  ({name}: HTTP {status}; left out)")
            cases[name] = None
    cases = {k: v for k, v in cases.items() if v is not None}
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(ROUNDS):
        for name, call in cases.items():
            started = time.perf_counter()
            call()
            samples[name].append(time.perf_counter() - started)
    medians = {name: statistics.median(s) * 1000 for name, s in samples.items()}
    print(f"-- {rows:,} lawyers, {ROUNDS} interleaved rounds, medians (ms)")
    for name, ms in medians.items():
        print(f"  {name:<44} {ms:9.2f}")
    raw100_ms = medians["raw SQL of the partner's page 100"]
    raw10_ms = medians["raw SQL of the partner's page 10"]
    m100, p100 = medians["API page 100, ministry key"], medians["API page 100, 湖南 partner key"]
    m10, p10 = medians["API page 10, ministry key"], medians["API page 10, 湖南 partner key"]
    print(
        f"  page 100: partner / ministry = {p100 / m100:.2f}x, partner / raw = "
        f"{p100 / raw100_ms:.1f}x; page 10: partner / ministry = {p10 / m10:.2f}x, "
        f"partner / raw = {p10 / raw10_ms:.1f}x"
    )
    return medians


def _profile_cheapest() -> None:
    from django.test import Client

    actors = _actors()
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {actors['ministry_key']}")
    url = f"/api/v1/provinces/{actors['hunan'].pk}/"
    for _ in range(20):
        client.get(url)
    profiler = cProfile.Profile()
    n = 300
    profiler.enable()
    for _ in range(n):
        client.get(url)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=io.StringIO())
    total = stats.total_tt / n * 1000
    print(f"-- cProfile of the cheapest request: {total:.2f} ms a request (with profiling)")
    # cumulative time a request of the parts of the fixed cost (nested parts overlap)
    parts = {
        "whole request (test client)": ("django/test/client.py", "request"),
        "middleware and view": ("django/core/handlers/base.py", "get_response"),
        "DRF dispatch (view)": ("rest_framework/views.py", "dispatch"),
        "  authentication (API key)": ("accounts/api/authentication.py", "authenticate"),
        "    key lookup (find_key)": ("accounts/api_keys.py", "find_key"),
        "  rate limit": ("accounts/api/throttling.py", "allow_request"),
        "  the row (get_object)": ("rest_framework/generics.py", "get_object"),
        "  serializer fields": ("rest_framework/serializers.py", "get_fields"),
        "  JSON rendering": ("rest_framework/renderers.py", "render"),
        "SQL (psycopg2 execute)": ("~", "<method 'execute' of 'psycopg2.extensions.cursor'"),
    }
    found = dict.fromkeys(parts, 0.0)
    for (filename, _line, function), row in stats.stats.items():  # type: ignore[attr-defined]
        cumulative = row[3]
        for label, (where, name) in parts.items():
            if where in filename and (function == name or function.startswith(name)):
                found[label] = max(found[label], cumulative)
    for label, seconds in found.items():
        print(f"  {label:<34} {seconds / n * 1000:7.2f} ms")


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    from bench.national_data import ensure

    setup_test_environment(debug=False)
    settings.DEBUG = False
    big = int(os.environ.get("BENCH_ROWS", "751520"))
    name = connection.settings_dict["NAME"]
    results = {}
    for rows, db in ((big // 10, f"{name}_tenth"), (big, name)):
        _ensure_database(db)
        _switch(db)
        ensure(rows)
        results[rows] = _measure(rows)
    print(f"-- growth from {big // 10:,} to {big:,} lawyers (full / tenth)")
    for case in results[big]:
        if case in results[big // 10]:
            print(f"  {case:<44} {results[big][case] / results[big // 10][case]:6.2f}x")
    _profile_cheapest()


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault(
        "DATABASE_URL",
        os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pairing_bench"),
    )
    main()
