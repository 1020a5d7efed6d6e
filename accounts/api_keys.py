"""API keys: issuing, checking and revoking (the keys themselves are never stored)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import ApiKey, Organisation, User
from .policy import Action, ensure_can

KEY_PREFIX = "dk"  # 对口 — lets secret scanners recognise leaked keys


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
    return api_key


def find_key(secret: str) -> ApiKey | None:
    """The key a presented secret belongs to (any state), compared in constant time."""
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    # one indexed lookup by the unique prefix on every API request: get(), not first(),
    # which would sort by ApiKey's Meta ordering (a join to the organisation's name)
    try:
        api_key = ApiKey.objects.select_related("service_user__organisation", "organisation").get(
            prefix=parts[1]
        )
    except ApiKey.DoesNotExist:
        return None
    if not hmac.compare_digest(api_key.key_digest, digest(secret)):
        return None
    return api_key


def touch(api_key: ApiKey, address: str | None) -> None:
    """Record use at most once a minute (not one write per request)."""
    now = timezone.now()
    if api_key.last_used_at and (now - api_key.last_used_at).total_seconds() < 60:
        return
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now, last_used_ip=address or None)
