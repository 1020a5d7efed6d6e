"""Hostile input answers 400 with the API's error shape, never a 500: bodies nested
thousands deep, query parameters that parse as dates but leave the calendar, cursors that
were never handed out. Every write route and every list route is tried, from the router."""

from __future__ import annotations

import base64
import json

import pytest

from config.api_router import router
from tests.factories import BranchOfficeFactory, LawFirmFactory, LawyerFactory, PostingFactory

from .conftest import KeyClient

pytestmark = pytest.mark.django_db

API = "/api/v1/"
# (provinces: 32 rows, one page, no sync parameters)
SYNC_PREFIXES = [
    prefix for prefix, viewset, _basename in router.registry if viewset.pagination_class is not None
]
# the resources that take POST (bar associations are only updated)
WRITABLE_PREFIXES = [
    prefix
    for prefix, viewset, _basename in router.registry
    if getattr(viewset, "writable", False) and "post" in viewset.http_method_names
]
DEEP_OBJECT = '{"a":' * 5000 + "1" + "}" * 5000  # 25 KB
DEEP_ARRAY = "[" * 1000 + "]" * 1000


def assert_problem(response, status: int = 400) -> dict:
    """The API's one error shape (core.api.errors)."""
    assert response.status_code == status, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"status", "code", "message", "detail"}
    assert body["status"] == status
    assert set(body["message"]) == {"zh", "en"}
    return body


def send(client: KeyClient, method: str, url: str, raw: str):
    return getattr(client, method)(url, data=raw, content_type="application/json")


# --- JSON nested too deep ---------------------------------------------------------------------
def test_the_router_has_routes_to_try():
    assert len(WRITABLE_PREFIXES) >= 10
    assert len(SYNC_PREFIXES) == 20


@pytest.mark.parametrize("raw", [DEEP_OBJECT, DEEP_ARRAY], ids=["object-5000", "array-1000"])
def test_a_deeply_nested_body_is_a_400_on_every_create(keys, raw):
    client = KeyClient(keys["ministry:rwp"])
    failures = []
    for prefix in WRITABLE_PREFIXES:
        response = send(client, "post", f"{API}{prefix}/", raw)
        if response.status_code != 400:
            failures.append((prefix, response.status_code))
            continue
        body = assert_problem(response)
        assert body["code"] == "parse_error"
        assert "嵌套" in body["detail"]  # names the rule, in Chinese
    assert not failures


@pytest.fixture
def hunan_rows(regions):
    firm = LawFirmFactory(province=regions["43"])
    branch = BranchOfficeFactory(parent_firm=firm)
    posting = PostingFactory(branch=branch, lawyer=LawyerFactory(firm=firm))
    return {"firms": firm, "branch-offices": branch, "postings": posting}


@pytest.mark.parametrize("method", ["patch", "put"])
@pytest.mark.parametrize("raw", [DEEP_OBJECT, DEEP_ARRAY], ids=["object-5000", "array-1000"])
def test_a_deeply_nested_body_is_a_400_on_updates_and_actions(keys, hunan_rows, raw, method):
    client = KeyClient(keys["hunan_dept:rw"])
    for prefix, row in hunan_rows.items():
        assert_problem(send(client, method, f"{API}{prefix}/{row.pk}/", raw))
    posting = hunan_rows["postings"]
    assert_problem(send(client, "post", f"{API}postings/{posting.pk}/end/", raw))
    posting.refresh_from_db()
    assert posting.end_date is None


def test_nesting_inside_strings_does_not_count_and_moderate_nesting_parses(keys, hunan_rows):
    client = KeyClient(keys["hunan_dept:rw"])
    firm = hunan_rows["firms"]
    address = "长沙市[{" * 40 + '\\"' + "]" * 5  # brackets and an escaped quote in a string
    response = send(client, "patch", f"{API}firms/{firm.pk}/", json.dumps({"address": address}))
    assert response.status_code == 200, response.content
    assert response.json()["address"] == address
    # a body nested a few levels deeper than any resource takes is a field error, not a
    # parse error: the limit leaves room for every legitimate body
    nested = json.dumps({"address": [[[[{"x": [1]}]]]]})
    body = assert_problem(send(client, "patch", f"{API}firms/{firm.pk}/", nested))
    assert body["code"] == "invalid"
    assert "address" in body["detail"]


# --- query parameters parsed by hand ----------------------------------------------------------
@pytest.mark.parametrize(
    "value",
    [
        "2026-01-01T00:00:00+99:00",  # an offset no calendar has
        "2026-01-01T00:00:00+24:00",
        "2026-02-30T00:00:00",  # well-formed, no such day
        "2026-13-01",
        "9999-12-31T23:59:59-15:00",  # past year 9999 in UTC
        "0001-01-01T00:00:00+15:00",  # before year 1 in UTC
        "soon",
    ],
)
def test_a_bad_updated_since_is_a_400_naming_it_on_every_list(keys, value):
    client = KeyClient(keys["ministry:rwp"])
    failures = []
    for prefix in SYNC_PREFIXES:
        response = client.get(f"{API}{prefix}/", {"updated_since": value})
        if response.status_code != 400:
            failures.append((prefix, response.status_code))
            continue
        assert "updated_since" in assert_problem(response)["detail"]
    assert not failures


def cursor_of(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        cursor_of(["2026-01-01T00:00:00+99:00", 1]),
        cursor_of(["0001-01-01T00:00:00+15:00", 1]),
        cursor_of(["2026-01-01T00:00:00+00:00", -1]),
        cursor_of(["2026-01-01T00:00:00+00:00", 2**63]),
        cursor_of([[[[[]]]]]),
        base64.urlsafe_b64encode(DEEP_ARRAY.encode()).decode(),  # 1,000 deep
        "A" * 10_000,
    ],
    ids=range(8),
)
def test_a_cursor_the_api_did_not_hand_out_is_a_400_naming_it(keys, cursor):
    client = KeyClient(keys["ministry:rwp"])
    for prefix in ("firms", "lawyers", "postings"):
        response = client.get(f"{API}{prefix}/", {"cursor": cursor})
        assert "cursor" in assert_problem(response)["detail"]


def test_a_cursor_with_an_offset_postgresql_does_not_take_is_read_in_utc(keys):
    # Python takes offsets up to ±23:59, PostgreSQL up to ±15:59: not a database error
    client = KeyClient(keys["ministry:rwp"])
    response = client.get(f"{API}firms/", {"cursor": cursor_of(["2026-01-01T00:00:00+23:59", 1])})
    assert response.status_code == 200, response.content
    assert response.json()["has_more"] is False


def test_a_cursor_the_api_handed_out_still_works(keys, regions):
    LawFirmFactory.create_batch(3, province=regions["43"])
    client = KeyClient(keys["ministry:rwp"])
    first = client.get(f"{API}firms/", {"updated_since": "2000-01-01", "page_size": 2}).json()
    assert first["has_more"] is True
    second = client.get(f"{API}firms/", {"cursor": first["next_cursor"], "page_size": 2})
    assert second.status_code == 200
    seen = {r["id"] for r in first["results"]} | {r["id"] for r in second.json()["results"]}
    assert len(seen) == 3
