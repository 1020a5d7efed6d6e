"""The fixed cost of an authenticated API request (issue 22 §4; bench/request_cost.py times
and profiles it): the API key comes from the shared cache without a query, every change to
the key, its organisation or its service user takes effect on the very next request, a
Redis that does not answer falls back to the database, and a record by id is looked up
without the list's filters."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import override_settings

from accounts import api_keys
from accounts.api_keys import find_key, issue_api_key, revoke_api_key
from accounts.models import ApiKey

from .conftest import KeyClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(users):
    return issue_api_key(
        actor=users["superuser"], organisation=users["hunan_partner"].organisation, name="cost"
    )


@pytest.fixture
def warm(issued, regions):
    """A client whose key has been used (last_used_at recorded) and is in the cache."""
    client = KeyClient(issued.secret)
    url = f"/api/v1/provinces/{regions['43'].pk}/"
    for _ in range(2):  # the first records last_used_at, the second fills the cache
        assert client.get(url).status_code == 200
    assert isinstance(cache.get(f"api-key:v1:{issued.api_key.prefix}"), ApiKey)
    return client, url


def test_a_cached_key_authenticates_without_a_query(issued, warm, django_assert_num_queries):
    with django_assert_num_queries(0):
        api_key = find_key(issued.secret)
    assert api_key is not None
    assert api_key.pk == issued.api_key.pk
    assert api_key.service_user.organisation.kind == "partner"


def test_the_cached_digest_still_checks_the_secret(issued, warm):
    kind, prefix, rest = issued.secret.split("_", 2)
    assert find_key(f"{kind}_{prefix}_{rest[:-1]}x") is None
    assert KeyClient(f"{kind}_{prefix}_{rest[:-1]}x").get(warm[1]).status_code == 401


def test_cheapest_request_runs_only_the_rows_query(warm, django_assert_num_queries):
    client, url = warm
    with django_assert_num_queries(1):
        response = client.get(url)
    assert response.status_code == 200


def test_revoking_a_cached_key_refuses_the_very_next_request(users, issued, warm):
    client, url = warm
    revoke_api_key(actor=users["superuser"], api_key=issued.api_key)

    response = client.get(url)

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


@pytest.mark.parametrize(
    ("change", "status"),
    [
        # the admin's organisation form (Model.save, no service)
        (lambda key: _save(key.organisation, is_active=False), 401),
        # the admin's user form on the key's service user
        (lambda key: _save(key.service_user, is_active=False), 401),
        # the admin's key form: expiry, allow-list, scopes
        (lambda key: _save(key, expires_at=key.created_at), 401),
        (lambda key: _save(key, allowed_ips="10.9.9.9"), 401),
        (lambda key: _save(key, scope_read=False), 403),
    ],
    ids=["organisation-deactivated", "user-deactivated", "expired", "ip-list", "read-scope"],
)
def test_a_change_to_a_cached_key_applies_to_the_next_request(issued, warm, change, status):
    client, url = warm
    change(ApiKey.objects.select_related("organisation", "service_user").get(pk=issued.api_key.pk))

    assert client.get(url).status_code == status


def test_a_sign_in_does_not_drop_the_cached_keys(issued, warm):
    user = issued.api_key.service_user
    user.save(update_fields=["last_login"])
    assert isinstance(cache.get(f"api-key:v1:{issued.api_key.prefix}"), ApiKey)


def test_without_redis_the_key_is_read_from_the_database(issued, regions):
    api_keys._breaker.reset()
    dead = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    with override_settings(CACHES=dead):
        client = KeyClient(issued.secret)
        response = client.get(f"/api/v1/provinces/{regions['43'].pk}/")
        assert response.status_code == 200
        assert api_keys._breaker.is_open()  # then the database only, for a while
        assert find_key(issued.secret).pk == issued.api_key.pk


@pytest.mark.parametrize(
    "query", ["?code=11", "?code__in=11,12", "?is_recipient=nonsense", "?region=zzz"]
)
def test_a_record_by_id_ignores_the_lists_filters(warm, query, django_assert_num_queries):
    client, url = warm
    plain = client.get(url)

    with django_assert_num_queries(1):
        filtered = client.get(url + query)

    assert filtered.status_code == 200
    assert filtered.json() == plain.json()


def test_the_list_still_filters(warm):
    client, _url = warm
    codes = [p["code"] for p in client.get("/api/v1/provinces/?code=11").json()]
    assert codes == ["11"]


def _save(instance, **values) -> None:
    for name, value in values.items():
        setattr(instance, name, value)
    instance.save()


def test_with_the_key_cache_off_every_lookup_reads_the_database(
    issued, warm, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(api_keys, "KEY_CACHE_SECONDS", 0)
    with django_assert_num_queries(1):
        assert find_key(issued.secret).pk == issued.api_key.pk
