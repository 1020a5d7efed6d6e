"""The fixed cost of an authenticated API request (issue 22 §4: ≤ 3 ms in a worker).

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/pairing_bench_h5 \\
        python -m bench.request_cost [--profile] [--compare]

The cheapest authenticated request — one province by id with an API key (GET
/api/v1/provinces/{id}/), in-process through Django's test client (so the WSGI server is
not counted) — timed over ROUNDS requests (median), with its queries counted; then, with
`--profile`, a cProfile of the same request by part (the top functions by own time too).
Runs on any database with the national data of bench.national_data (scope_bench builds
it); the province table is what it reads, so the scale does not matter. Nothing is
asserted.

`--compare` times, interleaved in the same run, the request as it was before issue 22's
fixed-cost work (the key read from the database on every request, the list's FilterSet run
before a detail lookup) against the request as it is.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import statistics
import sys
import time

ROUNDS = 500
PROFILED = 300

#: cumulative time of the parts of the fixed cost (nested parts overlap)
PARTS = {
    "whole request (test client)": ("django/test/client.py", "request"),
    "middleware and view": ("django/core/handlers/base.py", "get_response"),
    "DRF dispatch (view)": ("rest_framework/views.py", "dispatch"),
    "  authentication (API key)": ("accounts/api/authentication.py", "authenticate"),
    "    key lookup (find_key)": ("accounts/api_keys.py", "find_key"),
    "  rate limit": ("accounts/api/throttling.py", "allow_request"),
    "  the row (get_object)": ("rest_framework/generics.py", "get_object"),
    "    list filters (filter_queryset)": ("rest_framework/generics.py", "filter_queryset"),
    "  serializer fields": ("rest_framework/serializers.py", "get_fields"),
    "  JSON rendering": ("rest_framework/renderers.py", "render"),
    "SQL (psycopg2 execute)": ("~", "<method 'execute' of 'psycopg2.extensions.cursor'"),
}


def measure(client, url: str) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection

    for _ in range(20):  # warm-up: caches filled, connection open
        response = client.get(url)
        assert response.status_code == 200, (response.status_code, response.content[:300])
    queries: list[str] = []

    def record(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        queries.append(sql)
        return execute(sql, params, many, context)

    # (CaptureQueriesContext sees nothing: request_started resets the query log)
    with connection.execute_wrapper(record):
        client.get(url)
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        client.get(url)
        samples.append(time.perf_counter() - started)
    print(
        f"-- cheapest authenticated request (GET {url}, API key), {ROUNDS} requests: "
        f"median {statistics.median(samples) * 1000:.2f} ms, "
        f"p90 {statistics.quantiles(samples, n=10)[-1] * 1000:.2f} ms, "
        f"{len(queries)} queries"
    )
    for sql in queries:
        print(f"     {sql[:160]}")


def profile(client, url: str) -> None:  # type: ignore[no-untyped-def]
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(PROFILED):
        client.get(url)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=io.StringIO())
    n = PROFILED
    print(f"-- cProfile: {stats.total_tt / n * 1000:.2f} ms a request (with profiling)")
    found = dict.fromkeys(PARTS, 0.0)
    for (filename, _line, function), row in stats.stats.items():  # type: ignore[attr-defined]
        for label, (where, name) in PARTS.items():
            if where in filename and (function == name or function.startswith(name)):
                found[label] = max(found[label], row[3])
    for label, seconds in found.items():
        print(f"  {label:<36} {seconds / n * 1000:7.2f} ms")
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats("cumulative").print_stats(45)
    print("-- top functions by cumulative time (all requests)")
    print(out.getvalue()[-9000:])


def compare(client, url: str) -> None:  # type: ignore[no-untyped-def]
    from rest_framework import viewsets

    from accounts import api_keys
    from accounts.api.viewsets import ScopedModelViewSet

    now_filter = ScopedModelViewSet.filter_queryset
    now_seconds = api_keys.KEY_CACHE_SECONDS

    def before() -> None:
        api_keys.KEY_CACHE_SECONDS = 0
        ScopedModelViewSet.filter_queryset = viewsets.GenericViewSet.filter_queryset  # type: ignore[method-assign]

    def after() -> None:
        api_keys.KEY_CACHE_SECONDS = now_seconds
        ScopedModelViewSet.filter_queryset = now_filter  # type: ignore[method-assign]

    samples: dict[str, list[float]] = {"before": [], "after": []}
    for _ in range(ROUNDS):
        for label, setup in (("before", before), ("after", after)):
            setup()
            started = time.perf_counter()
            client.get(url)
            samples[label].append(time.perf_counter() - started)
    after()
    b, a = (statistics.median(samples[k]) * 1000 for k in ("before", "after"))
    print(
        f"-- interleaved, {ROUNDS} rounds, medians: before (key from the database, list "
        f"filters on detail) {b:.2f} ms, after {a:.2f} ms ({b / a:.1f}x)"
    )


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client
    from django.test.utils import setup_test_environment

    from bench.scope_bench import _actors

    setup_test_environment(debug=False)
    settings.DEBUG = False
    actors = _actors()
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {actors['ministry_key']}")
    url = f"/api/v1/provinces/{actors['hunan'].pk}/"
    measure(client, url)
    if "--compare" in sys.argv:
        compare(client, url)
    if "--profile" in sys.argv:
        profile(client, url)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault(
        "DATABASE_URL",
        os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pairing_bench"),
    )
    main()
