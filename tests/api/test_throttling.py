"""Rate limits: a constant-size sliding-window count per key in Redis, `Retry-After` that
lets the client through when it says, and an API that keeps serving when Redis is dead or
hangs (the limit is then not applied, and a warning says so)."""

from __future__ import annotations

import datetime as dt
import signal
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from rest_framework.settings import api_settings

from accounts.api.throttling import RETRY_AFTER_SECONDS, ApiKeyRateThrottle
from accounts.models import ApiKey
from tests.factories import credit_code
from tests.faults.servers import ThrowawayRedis, throwaway_redis

from .conftest import KeyClient

__all__ = ["throwaway_redis"]  # a fixture

FIRMS = "/api/v1/firms/"
# a whole number of minutes since the epoch: the first request opens a window
WINDOW_START = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def three_a_minute() -> Iterator[None]:
    original = ApiKeyRateThrottle.THROTTLE_RATES
    ApiKeyRateThrottle.THROTTLE_RATES = {
        **api_settings.DEFAULT_THROTTLE_RATES,
        "api_key": "3/minute",
    }
    cache.clear()
    yield
    ApiKeyRateThrottle.THROTTLE_RATES = original
    cache.clear()


def redis_caches(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        }
    }


@contextmanager
def fails_after(seconds: float) -> Iterator[None]:
    """Raises TimeoutError in this thread if the block runs longer (a hang fails the test
    instead of stopping the run)."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_a_keys_count_takes_the_same_room_after_many_requests(keys):
    secret = keys["ministry:r"]
    api_key = ApiKey.objects.get(prefix=secret.split("_")[1])
    stored_key = cache.make_key(f"throttle_api_key_{api_key.pk}")
    server = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    server.delete(stored_key)
    client = KeyClient(secret)

    with time_machine.travel(WINDOW_START, tick=False):  # all in one window
        for _ in range(3):
            assert client.get(FIRMS, {"page_size": 1}).status_code == 200
        room_after_3 = server.memory_usage(stored_key)
        for _ in range(27):
            assert client.get(FIRMS, {"page_size": 1}).status_code == 200
        room_after_30 = server.memory_usage(stored_key)

    # two counters (this window and the previous), not a list of 30 request times
    assert server.type(stored_key) == b"hash"
    assert sum(int(count) for count in server.hvals(stored_key)) == 30
    assert server.hlen(stored_key) == 1
    assert room_after_30 == room_after_3
    server.delete(stored_key)
    server.close()


def test_retry_after_says_when_the_sliding_window_lets_the_key_through(keys, three_a_minute):
    client = KeyClient(keys["hunan_partner:r"])
    with time_machine.travel(WINDOW_START, tick=False) as traveller:
        statuses = [client.get(FIRMS).status_code for _ in range(4)]
        refused = client.get(FIRMS)
        # the next window: 3 × (40/60 of the previous still in the last minute) + 1 = 3
        # is within the limit 80 s after the window opened, not before
        traveller.move_to(WINDOW_START + dt.timedelta(seconds=79))
        too_early = client.get(FIRMS).status_code
        traveller.move_to(WINDOW_START + dt.timedelta(seconds=80))
        on_time = client.get(FIRMS).status_code
        then = client.get(FIRMS).status_code

    assert statuses == [200, 200, 200, 429]
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert refused["Retry-After"] == "80"
    assert too_early == 429
    assert on_time == 200
    assert then == 429  # 2 + 1 + 1 > 3: the window keeps sliding


def test_refused_requests_do_not_count(keys, three_a_minute):
    client = KeyClient(keys["hunan_partner:r"])
    with time_machine.travel(WINDOW_START, tick=False) as traveller:
        assert [client.get(FIRMS).status_code for _ in range(3)] == [200] * 3
        assert [client.get(FIRMS).status_code for _ in range(20)] == [429] * 20
        traveller.move_to(WINDOW_START + dt.timedelta(seconds=80))
        assert client.get(FIRMS).status_code == 200


def test_the_api_keeps_serving_reads_and_writes_when_redis_is_down(
    keys, throwaway_redis: ThrowawayRedis, three_a_minute, caplog
):
    client = KeyClient(keys["hunan_dept:rw"])
    with override_settings(CACHES=redis_caches(throwaway_redis.url)):
        assert client.get(FIRMS).status_code == 200  # counted in that Redis
        throwaway_redis.stop()

        started = time.monotonic()
        reads = [client.get(FIRMS).status_code for _ in range(5)]
        write = client.post(
            FIRMS,
            {
                "credit_code": credit_code("430000", 778),
                "name": "限流停摆律师事务所",
                "province": "43",
            },
            format="json",
        )
        elapsed = time.monotonic() - started

    # beyond the limit of 3 a minute, too: nothing counts while Redis is away
    assert reads == [200] * 5
    assert write.status_code == 201, write.content
    assert elapsed < 5
    warnings = [r for r in caplog.records if "rate limits not applied" in r.getMessage()]
    assert len(warnings) == 1  # one warning, not one per request


@pytest.fixture
def silent_redis() -> Iterator[str]:
    """A port that accepts connections and never answers: a hung Redis."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"


def test_a_hung_redis_costs_the_api_milliseconds_not_seconds(keys, silent_redis, caplog):
    client = KeyClient(keys["hunan_dept:r"])
    timeout = settings.API_THROTTLE_TIMEOUT
    with override_settings(CACHES=redis_caches(silent_redis)), fails_after(30):
        first_started = time.monotonic()
        first = client.get(FIRMS).status_code
        first_took = time.monotonic() - first_started
        started = time.monotonic()
        then = [client.get(FIRMS).status_code for _ in range(10)]
        then_took = time.monotonic() - started

    assert [first, *then] == [200] * 11
    assert first_took < timeout + 1
    # Redis is not asked again for a while: the next requests do not wait for it
    assert then_took < 10 * timeout
    assert "rate limits not applied" in caplog.text


@pytest.mark.fault
def test_rate_limits_apply_again_once_redis_is_back(
    keys, throwaway_redis: ThrowawayRedis, three_a_minute
):
    client = KeyClient(keys["hunan_partner:r"])
    with override_settings(CACHES=redis_caches(throwaway_redis.url)):
        throwaway_redis.stop()
        while_down = [client.get(FIRMS).status_code for _ in range(5)]

        # when the same Redis is back, nobody restarting the web server
        throwaway_redis.start()
        time.sleep(RETRY_AFTER_SECONDS + 0.5)
        after = [client.get(FIRMS).status_code for _ in range(4)]

    assert while_down == [200] * 5
    assert after == [200, 200, 200, 429]
