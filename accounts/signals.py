"""Stamp the sign-in time into the session (read by SessionLifetimeMiddleware); forget
cached API keys whose row, organisation or service user changed."""

import time

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .api_keys import invalidate_api_keys, invalidate_keys_of
from .middleware import AUTH_AT_KEY


@receiver(user_logged_in, dispatch_uid="accounts.stamp_auth_time")
def stamp_auth_time(sender, request, user, **kwargs) -> None:  # type: ignore[no-untyped-def]
    if request is not None and hasattr(request, "session"):
        request.session[AUTH_AT_KEY] = time.time()


# The API key cache (api_keys.find_key) must see at once every change to what
# authentication decides. Services call invalidate_api_keys themselves (revoke_api_key);
# these receivers cover the writes that go through Model.save() without a service — the
# admin's change forms for keys, organisations and users, version restores — as Django's
# sites framework clears its cache on Site saves. (Queryset .update() sends no signal: a
# service that updates these rows in bulk calls invalidate_keys_of itself.)
@receiver(post_save, sender="accounts.ApiKey", dispatch_uid="accounts.api_key_cache.key")
@receiver(post_delete, sender="accounts.ApiKey", dispatch_uid="accounts.api_key_cache.key_del")
def forget_cached_key(sender, instance, created=False, **kwargs) -> None:  # type: ignore[no-untyped-def]
    if not created:
        invalidate_api_keys([instance.prefix])


@receiver(post_save, sender="accounts.Organisation", dispatch_uid="accounts.api_key_cache.org")
def forget_cached_keys_of_organisation(sender, instance, created, **kwargs) -> None:  # type: ignore[no-untyped-def]
    if not created:
        invalidate_keys_of(organisation_id=instance.pk)


@receiver(post_save, sender="accounts.User", dispatch_uid="accounts.api_key_cache.user")
def forget_cached_keys_of_user(sender, instance, created, update_fields=None, **kwargs) -> None:  # type: ignore[no-untyped-def]
    # a sign-in saves last_login only: nothing authentication reads
    if created or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return
    invalidate_keys_of(service_user_id=instance.pk)
