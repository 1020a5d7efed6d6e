"""Stamp the sign-in time into the session (read by SessionLifetimeMiddleware)."""

import time

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .middleware import AUTH_AT_KEY


@receiver(user_logged_in, dispatch_uid="accounts.stamp_auth_time")
def stamp_auth_time(sender, request, user, **kwargs) -> None:  # type: ignore[no-untyped-def]
    if request is not None and hasattr(request, "session"):
        request.session[AUTH_AT_KEY] = time.time()
