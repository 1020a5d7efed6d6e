"""The fixed cost of an API request: the key is found by one indexed lookup, unsorted, and
the cheapest authenticated request (one province by id) runs only the key's query and the
row's (bench/scope_bench.py profiles and times it)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.api_keys import find_key, issue_api_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret(users):
    return issue_api_key(
        actor=users["superuser"], organisation=users["ministry"].organisation, name="lookup"
    ).secret


def test_key_lookup_is_one_unsorted_query_by_prefix(secret):
    with CaptureQueriesContext(connection) as queries:
        api_key = find_key(secret)
    assert api_key is not None
    assert len(queries) == 1
    sql = queries[0]["sql"]
    assert '"accounts_apikey"."prefix" =' in sql
    assert "ORDER BY" not in sql


def test_unknown_prefix_and_wrong_secret_find_nothing(secret):
    kind, prefix, rest = secret.split("_", 2)
    assert find_key(f"{kind}_ffffffff_{rest}") is None
    assert find_key(f"{kind}_{prefix}_{rest}x") is None


def test_cheapest_authenticated_request_runs_two_queries(secret, regions):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    province = regions["43"]
    client.get(f"/api/v1/provinces/{province.pk}/")  # first use records last_used_at
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/provinces/{province.pk}/")
    assert response.status_code == 200
    assert response.json()["code"] == "43"
    assert len(queries) == 2, [q["sql"][:120] for q in queries]
