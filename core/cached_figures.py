"""Figures aggregated over national tables, reused for a short while (the programme
dashboard's counts): JSON numbers in the default cache's Redis, each entry stamped with
the time its computation started and served only while younger than `seconds`.

The promise is "a write is visible within `seconds`", whatever made the write: a service,
the admin, an import's COPY (core.bulk), a set-based UPDATE, a Celery task, psql. Nothing
has to tell the cache (no signal, no generation counter a bulk path could forget), because
an entry is never served once `seconds` have passed since the computation that filled it
began (so a write committed while it ran is covered too). The age is checked here, against
`time.time()` (which time-machine moves in tests), as well as by Redis's own expiry.

Only numbers, dates and ids are stored, never display strings: the same entry serves
every language. The key holds everything else the figures depend on, as the caller's
`parts` (scope, day) plus the database's name (another database sharing this Redis, such
as a benchmark's tenth-scale copy, has other rows).

Redis unreachable or slow: computed every time (the fast client of core.redis_client with
API_THROTTLE_TIMEOUT, and a breaker that skips Redis for a few seconds after a failure),
never an error.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections

from .redis_client import Breaker, cache_redis

logger = logging.getLogger(__name__)
T = TypeVar("T")

_breaker = Breaker(logger, "cached figures computed every time: Redis failed")


def cache_name(name: str, parts: tuple[object, ...]) -> str:
    """The entry's name (before the cache's prefix and version)."""
    database = connections[DEFAULT_DB_ALIAS].settings_dict["NAME"]
    return ":".join(["figures", name, str(database), *(str(p) for p in parts)])


def _fresh(raw: bytes | str | None, seconds: float) -> tuple[bool, Any]:
    """(whether the stored entry may be served, its value)."""
    if raw is None:
        return False, None
    try:
        entry = json.loads(raw)
        age = time.time() - float(entry["at"])
    except (ValueError, TypeError, KeyError):
        return False, None
    # a future stamp (a clock set back) is as untrustworthy as an old one
    return 0 <= age < seconds, entry.get("value")


def cached_figures(
    name: str, parts: tuple[object, ...], compute: Callable[[], T], *, seconds: float
) -> T:
    """`compute()` (JSON-serialisable: numbers, strings of dates and codes, lists, dicts
    with string keys), reused for `seconds` by every caller with the same `name` and
    `parts`; `seconds <= 0` computes every time."""
    if seconds <= 0:
        return compute()
    key_name = cache_name(name, parts)
    expire = max(1, int(seconds))
    client = cache_redis()
    if client is None:  # a local cache (the demo without Redis)
        ok, value = _fresh(cache.get(key_name), seconds)
        if ok:
            return value
        started = time.time()
        value = compute()
        cache.set(key_name, json.dumps({"at": started, "value": value}), expire)
        return value
    if _breaker.is_open():
        return compute()
    key = cache.make_key(key_name)
    try:
        raw = client.get(key)
    except redis.RedisError as exc:
        _breaker.trip(exc)
        return compute()
    ok, value = _fresh(raw, seconds)
    if ok:
        return value
    started = time.time()  # before the queries: a write committed during them is not older
    value = compute()
    try:
        client.set(key, json.dumps({"at": started, "value": value}), ex=expire)
    except redis.RedisError as exc:
        _breaker.trip(exc)
    return value
