"""Every portal page keeps a fixed number of queries as rows grow: each URL of the
`portal` namespace (lists, calendar, details, forms, home, notifications) is requested by
湖南's bar association at 2 rows of everything it lists or relates, and again at 15 —
GET, and POST of an empty form (each request rolled back, so both sizes see the same
state) — and the counts must be equal. The XLSX exports too. A new portal page joins the
sweep by itself and fails it until its URL arguments are mapped in
tests/portal/conftest.py."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.portal.conftest import portal_patterns

PATTERNS = portal_patterns()
SMALL, LARGE = 2, 15
EXPORTS = ("portal:trainees", "portal:secondments", "portal:pairings", "portal:branches")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def request(
    client: Client, method: str, url: str, headers: dict[str, str] | None = None
) -> tuple[int, list[str]]:
    """Status and queries of one request, rolled back afterwards (a POST that saves, marks
    read or submits leaves the rows as they were for the next measurement)."""
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            if method == "GET":
                response = client.get(url, headers=headers)
            else:
                response = client.post(url, {}, headers=headers)
        transaction.set_rollback(True)
    return response.status_code, [q["sql"] for q in queries.captured_queries]


def shape(sql: str) -> str:
    """A query without its literal values, to show which one repeats."""
    return re.sub(r"\b\d+\b|'[^']*'|\"s\d+_x\d+\"", "?", sql)[:300]


def growth(small: list[str], large: list[str]) -> str:
    more = Counter(map(shape, large)) - Counter(map(shape, small))
    fewer = Counter(map(shape, small)) - Counter(map(shape, large))
    lines = [f"+{n} {q}" for q, n in more.most_common(5)]
    lines += [f"-{n} {q}" for q, n in fewer.most_common(5)]
    return "\n".join(lines)


@pytest.fixture
def hunan_client(users) -> Client:
    client = Client()
    client.force_login(users["hunan_bar"])
    return client


def measure_at_two_sizes(
    world, client: Client, method: str, url: str, headers: dict[str, str] | None = None
):
    request(client, method, url, headers)  # warm caches (content types, translations)
    small_status, small = request(client, method, url, headers)
    world.grow(LARGE - SMALL)
    large_status, large = request(client, method, url, headers)
    return (small_status, small), (large_status, large)


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.id)
def test_every_portal_page_keeps_its_query_count_as_rows_grow(
    pattern, method, province_world, hunan_client
):
    """Each method a page answers costs the same queries at 2 and at 15 rows; a method it
    does not answer (POST on a read-only page, GET on an action) is refused with 405
    naming the method it takes."""
    world = province_world("湖南", rows=SMALL)
    url = reverse(pattern.name, kwargs=world.kwargs_for(pattern))
    refused = getattr(hunan_client, method.lower())(url)
    if refused.status_code == 405:
        other = "POST" if method == "GET" else "GET"
        assert other in refused["Allow"], f"{url} refuses {method} and takes no {other}"
        return

    (small_status, small), (large_status, large) = measure_at_two_sizes(
        world, hunan_client, method, url
    )

    assert small_status == large_status
    assert small_status in (200, 302), f"{method} {url}: {small_status}"
    assert len(small) == len(large), (
        f"{method} {url}: {len(small)} queries at {SMALL} rows, {len(large)} at {LARGE}\n"
        + growth(small, large)
    )


@pytest.mark.parametrize("name", ["portal:pairings", "portal:branches"])
def test_htmx_result_swaps_keep_their_query_count(name, province_world, hunan_client):
    world = province_world("湖南", rows=SMALL)
    url = reverse(name)

    (small_status, small), (large_status, large) = measure_at_two_sizes(
        world, hunan_client, "GET", url, {"HX-Request": "true"}
    )

    assert small_status == large_status == 200
    assert len(small) == len(large), growth(small, large)


@pytest.mark.parametrize("name", EXPORTS)
def test_xlsx_exports_keep_their_query_count(name, province_world, hunan_client):
    world = province_world("湖南", rows=SMALL)
    url = reverse(name) + "?format=xlsx"
    assert hunan_client.get(url)["Content-Type"] == XLSX

    (small_status, small), (large_status, large) = measure_at_two_sizes(
        world, hunan_client, "GET", url
    )

    assert small_status == large_status == 200
    assert len(small) == len(large), growth(small, large)


def test_the_rows_do_grow_on_the_pages(province_world, hunan_client):
    """The sweep measures something: the pages show 15 rows after growing, not 2."""
    world = province_world("湖南", rows=SMALL)
    world.grow(LARGE - SMALL)

    assert hunan_client.get(reverse("portal:pairings")).content.decode().count("湖南帮扶所") > LARGE
    detail = hunan_client.get(reverse("portal:branch_detail", args=[world.main_branch.pk]))
    assert detail.content.decode().count("县政府") == LARGE
    secondment = hunan_client.get(
        reverse("portal:secondment_detail", args=[world.main_secondment.pk])
    )
    assert secondment.content.decode().count("讲座") >= LARGE
