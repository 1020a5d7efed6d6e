"""The default cache's Redis, for work on the API's hot path that must never wait on it.

Django's cache client waits seconds for a hung Redis and retries; the rate limit
(accounts.api.throttling) and the API-key cache (accounts.api_keys) run on every API
request, so they use this client instead: one attempt, socket timeouts of
API_THROTTLE_TIMEOUT, and a `Breaker` each that skips Redis for a few seconds after a
failure (the request goes on without it) and logs a warning at most once a minute.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import Any

import redis
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from redis.backoff import NoBackoff
from redis.retry import Retry

_lock = threading.Lock()
_clients: dict[tuple[str, float], redis.Redis] = {}
_breakers: list[Breaker] = []


def cache_redis() -> redis.Redis | None:
    """A client of the default cache's (first) Redis server with API_THROTTLE_TIMEOUT socket
    timeouts and no retry, or None when the cache is not Redis (the demo's local memory)."""
    config = settings.CACHES["default"]
    if not config["BACKEND"].endswith(".RedisCache"):
        return None
    location = config["LOCATION"]
    if isinstance(location, str):
        location = location.split(",")
    location = str(location[0]).strip()
    timeout = float(settings.API_THROTTLE_TIMEOUT)
    with _lock:
        client = _clients.get((location, timeout))
        if client is None:
            client = _clients[(location, timeout)] = redis.Redis.from_url(
                location,
                socket_connect_timeout=timeout,
                socket_timeout=timeout,
                retry=Retry(NoBackoff(), 0),  # one attempt: a retry doubles a dead Redis's cost
            )
        return client


class Breaker:
    """Per process: after a Redis failure, skip Redis for `retry_after` seconds."""

    def __init__(self, logger: logging.Logger, message: str, *, retry_after: float = 5.0) -> None:
        self.logger = logger
        self.message = message  # logged with the error: "<message> (<Error>: <text>)"
        self.retry_after = retry_after
        self.log_every = 60.0
        self.reset()
        _breakers.append(self)

    def reset(self) -> None:
        self.down_until = 0.0
        self.last_warning = -math.inf

    def is_open(self) -> bool:
        """Whether Redis is being skipped now."""
        return time.monotonic() < self.down_until

    def trip(self, exc: Exception) -> None:
        now = time.monotonic()
        self.down_until = now + self.retry_after
        if now - self.last_warning >= self.log_every:
            self.last_warning = now
            self.logger.warning("%s (%s: %s)", self.message, type(exc).__name__, exc)


@receiver(setting_changed, dispatch_uid="core.redis_client.settings")
def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in ("CACHES", "API_THROTTLE_TIMEOUT"):  # another cache (tests): ask it at once
        with _lock:
            for client in _clients.values():
                client.close()
            _clients.clear()
        for breaker in _breakers:
            breaker.reset()
