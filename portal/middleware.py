"""The portal is private by default: every /portal/ page needs a signed-in user with a
role (Django's LoginRequiredMiddleware, for one part of the site: the admin and the API
have their own access rules)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from accounts.policy import role_of

PREFIX = "/portal/"


class PortalPrivateMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(PREFIX):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            if role_of(request.user) is None:
                raise PermissionDenied
        return self.get_response(request)
