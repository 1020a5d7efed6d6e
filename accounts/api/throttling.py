"""Rate limits: per API key (API_KEY_RATE), per signed-in user (API_USER_RATE).

A sliding-window counter in Redis: two counts per key (this window and the one before, in
one hash), one round trip and a constant amount of work per request, whatever the rate.
DRF's SimpleRateThrottle kept, per key, the list of every request's time in the window (up
to 6,000 at 6000/hour) and read and rewrote it whole on every request.

The estimate is the usual sliding-window approximation: the previous window's count,
weighted by how much of it still lies within the last `duration` seconds, plus this
window's. A refused request is not counted, so a client that waits as `Retry-After` says
gets through.

Redis unreachable: the request is let through (fail open) and a warning logged, at most
once a minute; Redis is not asked again for five seconds, and its socket timeouts are
API_THROTTLE_TIMEOUT (core.redis_client), so a dead or hung Redis costs a request
milliseconds.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import redis
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from core.redis_client import Breaker, cache_redis

from .authentication import api_key_of

logger = logging.getLogger(__name__)

# KEYS[1]: the key's hash. ARGV: this window, the previous one, the weight of the previous
# one (0..1), the limit, the window before the previous one (dropped), the hash's lifetime.
# Returns {allowed (0/1), this window's count, the previous window's count}. A value of
# another type under the key (DRF's list of times, before this counter) is dropped.
SLIDING_WINDOW_SCRIPT = """
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind ~= 'hash' and kind ~= 'none' then
  redis.call('DEL', KEYS[1])
end
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local previous = tonumber(redis.call('HGET', KEYS[1], ARGV[2]) or '0')
if previous * tonumber(ARGV[3]) + current + 1 > tonumber(ARGV[4]) then
  return {0, current, previous}
end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('HDEL', KEYS[1], ARGV[5])
redis.call('EXPIRE', KEYS[1], ARGV[6])
return {1, current + 1, previous}
"""

RETRY_AFTER_SECONDS = 5.0  # after a failure, Redis is asked again this much later
_breaker = Breaker(logger, "rate limits not applied: Redis failed", retry_after=RETRY_AFTER_SECONDS)


@functools.lru_cache(maxsize=8)
def _script(client: redis.Redis) -> Any:
    return client.register_script(SLIDING_WINDOW_SCRIPT)


class SlidingWindowRateThrottle(SimpleRateThrottle):
    """SimpleRateThrottle's rates, keys and `Retry-After`, counted in O(1)."""

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        client = cache_redis()
        if client is None:  # a local cache (the demo without Redis): DRF's own list
            return super().allow_request(request, view)
        if _breaker.is_open():
            return True
        now = self.timer()
        window, elapsed = divmod(now, self.duration)
        window = int(window)
        weight = (self.duration - elapsed) / self.duration
        try:
            allowed, current, previous = _script(client)(
                keys=[cache.make_key(self.key)],
                args=[
                    window,
                    window - 1,
                    repr(weight),
                    self.num_requests,
                    window - 2,
                    2 * self.duration,
                ],
            )
        except redis.RedisError as exc:
            _breaker.trip(exc)  # fail open
            return True
        if allowed:
            return True
        self._refused = (int(current), int(previous), elapsed)
        return False

    def wait(self) -> float | None:
        refused = getattr(self, "_refused", None)
        if refused is None:
            return super().wait()
        current, previous, elapsed = refused
        limit, duration = self.num_requests, self.duration
        if current + 1 <= limit:
            # room in this window once enough of the previous one has slid out
            needed = duration * (1 - (limit - current - 1) / previous) if previous else 0
            seconds = needed - elapsed
        else:
            # this window is full: wait for the next one, and for enough of this one to
            # slide out of it
            needed_next = duration * (1 - (limit - 1) / current) if current else 0
            seconds = (duration - elapsed) + max(0.0, needed_next)
        return max(1.0, seconds)


class ApiKeyRateThrottle(SlidingWindowRateThrottle):
    scope = "api_key"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        api_key = api_key_of(request)
        if api_key is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": api_key.pk}


class SessionUserRateThrottle(SlidingWindowRateThrottle):
    scope = "api_user"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if api_key_of(request) is not None or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
