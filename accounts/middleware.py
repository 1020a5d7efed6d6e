"""Session lifetime and MFA enforcement."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

AUTH_AT_KEY = "_auth_at"


class SessionLifetimeMiddleware:
    """Ends a session SESSION_ABSOLUTE_LIFETIME seconds after sign-in, however active.

    The idle timeout is Django's own (SESSION_COOKIE_AGE with SESSION_SAVE_EVERY_REQUEST);
    Django has no absolute lifetime, and the packages that add one replace the idle
    timeout rather than adding to it, hence these few lines.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            started = request.session.get(AUTH_AT_KEY)
            if started is None:
                request.session[AUTH_AT_KEY] = time.time()
            elif time.time() - float(started) > settings.SESSION_ABSOLUTE_LIFETIME:
                logout(request)
                messages.info(request, _("Your session has expired. Please sign in again."))
                return redirect(f"{reverse(settings.LOGIN_URL)}?next={request.path}")
        return self.get_response(request)


MFA_EXEMPT_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/healthz")


class MFARequiredMiddleware:
    """With MFA_REQUIRED, a staff user must verify a TOTP device before anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            settings.MFA_REQUIRED
            and user.is_authenticated
            and user.is_staff
            and not user.is_verified()
            and not request.path.startswith(MFA_EXEMPT_PREFIXES)
        ):
            return redirect(f"{reverse('accounts:mfa')}?next={request.path}")
        return self.get_response(request)
