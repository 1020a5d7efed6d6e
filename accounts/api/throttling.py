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
every LOG_EVERY_SECONDS; Redis is not asked again for RETRY_AFTER_SECONDS, and its socket
timeouts are API_THROTTLE_TIMEOUT, so a dead or hung Redis costs a request milliseconds.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.dispatch import receiver
from redis.backoff import NoBackoff
from redis.retry import Retry
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

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
LOG_EVERY_SECONDS = 60.0


class _RedisState:
    """Per process: one client per (location, timeout), and when Redis last failed."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.clients: dict[tuple[str, float], tuple[redis.Redis, Any]] = {}
        self.down_until = 0.0
        self.last_warning = -math.inf

    def reset(self) -> None:
        with self.lock:
            for client, _script in self.clients.values():
                client.close()
            self.clients.clear()
            self.down_until = 0.0
            self.last_warning = -math.inf


_state = _RedisState()


@receiver(setting_changed)
def _forget_clients(*, setting: str, **kwargs: Any) -> None:
    if setting in ("CACHES", "API_THROTTLE_TIMEOUT"):
        _state.reset()


def _redis_location() -> str | None:
    """The default cache's (first) Redis server, or None when the cache is not Redis."""
    config = settings.CACHES["default"]
    if not config["BACKEND"].endswith(".RedisCache"):
        return None
    location = config["LOCATION"]
    if isinstance(location, str):
        location = location.split(",")
    return str(location[0]).strip()


def _redis_script(location: str) -> Any:
    timeout = float(settings.API_THROTTLE_TIMEOUT)
    with _state.lock:
        if (location, timeout) not in _state.clients:
            client = redis.Redis.from_url(
                location,
                socket_connect_timeout=timeout,
                socket_timeout=timeout,
                # one attempt: a retry would double the cost of a dead Redis
                retry=Retry(NoBackoff(), 0),
            )
            _state.clients[(location, timeout)] = (
                client,
                client.register_script(SLIDING_WINDOW_SCRIPT),
            )
        return _state.clients[(location, timeout)][1]


def _fail_open(exc: Exception) -> bool:
    now = time.monotonic()
    _state.down_until = now + RETRY_AFTER_SECONDS
    if now - _state.last_warning >= LOG_EVERY_SECONDS:
        _state.last_warning = now
        logger.warning("rate limits not applied: Redis failed (%s: %s)", type(exc).__name__, exc)
    return True


class SlidingWindowRateThrottle(SimpleRateThrottle):
    """SimpleRateThrottle's rates, keys and `Retry-After`, counted in O(1)."""

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        location = _redis_location()
        if location is None:  # a local cache (the demo without Redis): DRF's own list
            return super().allow_request(request, view)
        if time.monotonic() < _state.down_until:
            return True
        now = self.timer()
        window, elapsed = divmod(now, self.duration)
        window = int(window)
        weight = (self.duration - elapsed) / self.duration
        try:
            allowed, current, previous = _redis_script(location)(
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
            return _fail_open(exc)
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
