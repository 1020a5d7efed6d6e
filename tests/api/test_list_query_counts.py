"""Every list endpoint of /api/v1/ costs the same number of queries for a page of 10 rows
and a page of 100, over the demo data set (every model has rows), for each role."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.module_loading import import_string

from config.api_router import router
from tests.conftest import TODAY

from .conftest import KeyClient

LIST_PREFIXES = [prefix for prefix, _viewset, _basename in router.registry]
# national reference tables with a handful of rows, and the caller's own notifications
SMALL_TABLES = {"provinces", "targets", "statistics", "notifications"}


@pytest.fixture
def demo_data(users):
    for loader in settings.DEMO_LOADERS:
        import_string(loader)(today=TODAY)


def count(client: KeyClient, url: str, params: dict) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, (url, response.content[:300])
    body = response.json()
    rows = len(body["results"]) if isinstance(body, dict) else len(body)
    return len(queries), rows


def test_list_queries_do_not_grow_with_the_page(keys, demo_data):
    # (one test for every role: the demo data takes a while to load)
    grew, thin = [], []
    for who in ("ministry", "hunan_dept", "hunan_bar", "hunan_partner"):
        client = KeyClient(keys[f"{who}:rwp"])
        # the key's first use is recorded, the second puts the key in the cache: not measured
        client.get("/api/v1/provinces/")
        client.get("/api/v1/provinces/")
        check(client, who, grew, thin)
    assert not grew, "\n".join(grew)
    # the comparison only means something where the bigger page holds more rows: the
    # ministry's national lists do (a province's share of the demo data is small)
    assert not [t for t in thin if t.startswith("ministry ")], "\n".join(thin)


def check(client: KeyClient, who: str, grew: list[str], thin: list[str]) -> None:
    report: list[str] = []
    for prefix in LIST_PREFIXES:
        url = f"/api/v1/{prefix}/"
        for mode in ({}, {"updated_since": "2000-01-01"}):
            small, _small_rows = count(client, url, {"page_size": 10, **mode})
            large, large_rows = count(client, url, {"page_size": 100, **mode})
            report.append(
                f"{who} {prefix} {mode or ''}: {small}/{large} queries, {large_rows} rows"
            )
            if small != large:
                grew.append(report[-1])
            if large_rows <= 10 and prefix not in SMALL_TABLES:
                thin.append(report[-1])
