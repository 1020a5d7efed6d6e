"""Rate limits: per API key (API_KEY_RATE), per signed-in user (API_USER_RATE)."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from .authentication import api_key_of


class ApiKeyRateThrottle(SimpleRateThrottle):
    scope = "api_key"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        api_key = api_key_of(request)
        if api_key is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": api_key.pk}


class SessionUserRateThrottle(SimpleRateThrottle):
    scope = "api_user"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if api_key_of(request) is not None or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
