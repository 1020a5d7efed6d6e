"""Conditional requests: a strong ETag per record version, If-Match on writes (412 when
stale), If-None-Match on reads (304)."""

from __future__ import annotations

import hashlib

from django.db import models
from rest_framework.request import Request

from .errors import PreconditionFailed


def etag_of(obj: models.Model) -> str:
    """Changes whenever the record is saved (`updated_at` moves on every save)."""
    version = getattr(obj, "updated_at", None)
    stamp = version.isoformat() if version is not None else ""
    raw = f"{obj._meta.label_lower}:{obj.pk}:{stamp}"
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def _tags(header: str) -> list[str]:
    return [t.strip().removeprefix("W/") for t in header.split(",") if t.strip()]


def check_if_match(request: Request, obj: models.Model) -> None:
    """Raise 412 when the client sent If-Match and it does not name the current version.
    Without If-Match the write goes ahead (last write wins, as in the admin)."""
    header = request.headers.get("If-Match")
    if not header:
        return
    tags = _tags(header)
    if "*" in tags:
        return
    if etag_of(obj) not in tags:
        raise PreconditionFailed()


def not_modified(request: Request, obj: models.Model) -> bool:
    header = request.headers.get("If-None-Match")
    return bool(header) and etag_of(obj) in _tags(header)
