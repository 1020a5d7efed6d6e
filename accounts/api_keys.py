"""API keys: issuing, checking and revoking (the keys themselves are never stored)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import pickle
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import redis
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.redis_client import Breaker, cache_redis

from .models import ApiKey, Organisation, User
from .policy import Action, ensure_can

logger = logging.getLogger(__name__)

KEY_PREFIX = "dk"  # 对口 — lets secret scanners recognise leaked keys

# The resolved key (the ApiKey row with its organisation and service user) is kept in the
# shared cache by its prefix, so an API request authenticates without a query (the lookup
# was ~4 ms of a ~15 ms request, most of it Django building a three-table query). The
# secret is still checked against the cached digest on every request. Every write that
# changes what authentication decides (revocation, scopes, expiry, allow-list, the
# organisation's or the service user's state) replaces the entry with a tombstone at once
# and again after its commit (invalidate_api_keys); while a tombstone stands, requests read
# the database and do not refill the entry (cache.add), so a request that read the row
# before the change cannot put the old state back. KEY_CACHE_SECONDS only bounds how long a
# change made while Redis was unreachable can go unseen.
KEY_CACHE_SECONDS = 300
KEY_TOMBSTONE_SECONDS = 10
_TOMBSTONE = "invalidated"


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    secret: str  # shown once


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_networks(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The allow-list, one address or CIDR network per line; ValueError names the bad line."""
    networks = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        try:
            networks.append(ipaddress.ip_network(line, strict=False))
        except ValueError as exc:
            raise ValueError(
                _("Line %(line)d: “%(value)s” is not an IP address or network.")
                % {"line": number, "value": line[:64]}
            ) from exc
    return networks


def ip_allowed(api_key: ApiKey, address: str | None) -> bool:
    networks = parse_networks(api_key.allowed_ips)
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in networks)


@transaction.atomic
def issue_api_key(
    *,
    actor: Any,
    organisation: Organisation,
    name: str,
    scope_read: bool = True,
    scope_write: bool = False,
    scope_personal_data: bool = False,
    expires_at: Any = None,
    allowed_ips: str = "",
) -> IssuedKey:
    """Create a key for `organisation` and its service user; the secret is returned once."""
    prefix = secrets.token_hex(4)
    secret = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    service_user = User(
        username=f"api-{prefix}",
        organisation=organisation,
        first_name=name[:150],
        is_staff=False,
    )
    service_user.set_unusable_password()
    api_key = ApiKey(
        organisation=organisation,
        service_user=service_user,
        name=name,
        prefix=prefix,
        key_digest=digest(secret),
        scope_read=scope_read,
        scope_write=scope_write,
        scope_personal_data=scope_personal_data,
        expires_at=expires_at,
        allowed_ips=allowed_ips,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    ensure_can(actor, Action.ADD, api_key)
    service_user.full_clean(exclude=["password"])
    service_user.save()
    api_key.service_user = service_user
    api_key.full_clean()
    api_key.save()
    return IssuedKey(api_key=api_key, secret=secret)


@transaction.atomic
def revoke_api_key(*, actor: Any, api_key: ApiKey) -> ApiKey:
    """Revoke for good (a revoked key answers 401); its service user is deactivated."""
    ensure_can(actor, Action.CHANGE, api_key)
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at", "updated_at"])
        User.objects.filter(pk=api_key.service_user_id).update(is_active=False)
        invalidate_api_keys([api_key.prefix])
    return api_key


def _cache_name(prefix: str) -> str:
    return f"api-key:v1:{prefix}"


_breaker = Breaker(logger, "API key cache unavailable: keys are read from the database")


def _cache_call(method: str, *args: Any) -> Any:
    """get(name), add(name, value, seconds), set_many(mapping, seconds) or delete(name) on
    the shared cache; None (and the database while the breaker is open) when Redis does
    not answer."""
    if _breaker.is_open():
        return None
    try:
        client = cache_redis()
        if client is None:
            return getattr(cache, method)(*args)
        if method == "get":
            raw = client.get(cache.make_key(args[0]))
            return pickle.loads(raw) if raw is not None else None  # noqa: S301 (our own cache)
        if method == "add":
            return client.set(cache.make_key(args[0]), pickle.dumps(args[1]), ex=args[2], nx=True)
        if method == "set_many":
            with client.pipeline(transaction=False) as pipe:
                for name, value in args[0].items():
                    pipe.set(cache.make_key(name), pickle.dumps(value), ex=args[1])
                return pipe.execute()
        return client.delete(cache.make_key(args[0]))
    except (redis.RedisError, OSError) as exc:
        _breaker.trip(exc)
        return None


def invalidate_api_keys(prefixes: Iterable[str]) -> None:
    """Make the next request with these keys read them from the database: now, and again
    when the current transaction commits (the change is visible from then on)."""
    names = {_cache_name(p): _TOMBSTONE for p in prefixes if p}
    if not names:
        return

    def bury() -> None:
        _cache_call("set_many", names, KEY_TOMBSTONE_SECONDS)

    bury()
    transaction.on_commit(bury)


def invalidate_keys_of(
    *, organisation_id: int | None = None, service_user_id: int | None = None
) -> None:
    """invalidate_api_keys for every key of an organisation or of a service user."""
    keys = ApiKey.objects.all()
    if organisation_id is not None:
        keys = keys.filter(organisation_id=organisation_id)
    if service_user_id is not None:
        keys = keys.filter(service_user_id=service_user_id)
    invalidate_api_keys(keys.order_by().values_list("prefix", flat=True))


def find_key(secret: str) -> ApiKey | None:
    """The key a presented secret belongs to (any state), compared in constant time."""
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    name = _cache_name(parts[1])
    # KEY_CACHE_SECONDS = 0: the database every time (bench/request_cost.py --compare)
    cached = _cache_call("get", name) if KEY_CACHE_SECONDS > 0 else _TOMBSTONE
    if isinstance(cached, ApiKey):
        api_key = cached
    else:
        # one indexed lookup by the unique prefix: get(), not first(), which would sort by
        # ApiKey's Meta ordering (a join to the organisation's name)
        try:
            api_key = ApiKey.objects.select_related(
                "service_user__organisation", "organisation"
            ).get(prefix=parts[1])
        except ApiKey.DoesNotExist:
            return None
        if cached is None:  # not under a tombstone
            _cache_call("add", name, api_key, KEY_CACHE_SECONDS)
    if not hmac.compare_digest(api_key.key_digest, digest(secret)):
        return None
    return api_key


def touch(api_key: ApiKey, address: str | None) -> None:
    """Record use at most once a minute (not one write per request)."""
    now = timezone.now()
    if api_key.last_used_at and (now - api_key.last_used_at).total_seconds() < 60:
        return
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now, last_used_ip=address or None)
    # the cached row still has the old time: the next request reads the row again
    _cache_call("delete", _cache_name(api_key.prefix))
