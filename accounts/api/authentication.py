"""API-key authentication: `Authorization: Api-Key <key>` (or `X-API-Key: <key>`)."""

from __future__ import annotations

from typing import Any

import pghistory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from ..api_keys import find_key, ip_allowed, touch
from ..models import ApiKey

KEYWORD = "Api-Key"


def client_ip(request: Request) -> str | None:
    # REMOTE_ADDR: set it from the proxy's X-Forwarded-For in the web server, not here
    return request.META.get("REMOTE_ADDR")


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Answers 401 for a missing, unknown, revoked or expired key, or a disallowed address;
    the request then acts as the key's service user (its organisation's scope)."""

    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        secret = self._presented(request)
        if secret is None:
            return None
        api_key = find_key(secret)
        if api_key is None:
            raise exceptions.AuthenticationFailed(_("Unknown API key."))
        now = timezone.now()
        if api_key.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("This API key has been revoked."))
        if api_key.expires_at is not None and api_key.expires_at <= now:
            raise exceptions.AuthenticationFailed(_("This API key has expired."))
        user = api_key.service_user
        if not user.is_active or not api_key.organisation.is_active:
            raise exceptions.AuthenticationFailed(_("This API key's organisation is inactive."))
        address = client_ip(request)
        if not ip_allowed(api_key, address):
            raise exceptions.AuthenticationFailed(
                _("This API key may not be used from this address.")
            )
        touch(api_key, address)
        # every change this request makes is recorded with the key (and the request id,
        # which the audit middleware attached already)
        pghistory.context(api_key=api_key.pk, user=user.pk)
        return user, api_key

    def authenticate_header(self, request: Request) -> str:
        return f'{KEYWORD} realm="api"'

    @staticmethod
    def _presented(request: Request) -> str | None:
        header = request.headers.get("Authorization", "")
        if header:
            keyword, _sep, value = header.partition(" ")
            if keyword.lower() == KEYWORD.lower():
                value = value.strip()
                if not value:
                    raise exceptions.AuthenticationFailed(_("Empty API key."))
                return value
        value = request.headers.get("X-API-Key")
        return value.strip() if value and value.strip() else None


def api_key_of(request: Request) -> ApiKey | None:
    return request.auth if isinstance(request.auth, ApiKey) else None
