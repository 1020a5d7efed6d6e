"""`Idempotency-Key` on POST: a retried create returns the first result, not a duplicate.

The record is inserted in the same transaction as the write. A concurrent retry with the
same key blocks on the unique index until the first request commits, then replays its
response; if the first failed, its transaction (and the record) rolled back and the retry
runs afresh. Only successful (2xx) responses are kept: errors are not cached.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http.request import RawPostDataException
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from ..models import IdempotencyRecord
from .errors import Conflict

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
KEPT_HEADERS = ("ETag", "Location")


class KeyReused(Conflict):
    default_detail = _(
        "This Idempotency-Key was already used for a different request; use a new key."
    )
    default_code = "idempotency_key_reused"


def principal_of(request: Request) -> str:
    auth = request.auth
    if auth is not None and getattr(auth, "pk", None) is not None:
        return f"key:{auth.pk}"
    return f"user:{request.user.pk}"


def fingerprint(request: Request) -> str:
    """The method, path and body bytes (read before DRF parses them, so still available)."""
    try:
        body = request._request.body
    except RawPostDataException:  # already parsed by someone: the parsed data instead
        body = json.dumps(request.data, sort_keys=True, default=str).encode()
    raw = b"\n".join([request.method.encode(), request.get_full_path().encode(), body])
    return hashlib.sha256(raw).hexdigest()


def idempotent(request: Request, handler: Callable[[], Response]) -> Response:
    """Run `handler` (a POST) at most once per (caller, Idempotency-Key)."""
    key = request.headers.get(HEADER)
    if key is None:
        return handler()
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise exceptions.ValidationError(
            {
                HEADER: [
                    _("Idempotency-Key: 1 to %(max)d printable characters.")
                    % {"max": MAX_KEY_LENGTH}
                ]
            }
        )
    principal = principal_of(request)
    print_ = fingerprint(request)
    with transaction.atomic():
        existing = IdempotencyRecord.objects.filter(principal=principal, key=key).first()
        if existing is None:
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        principal=principal,
                        key=key,
                        fingerprint=print_,
                        method=request.method,
                        path=request.path[:512],
                        response_status=0,
                        response_body={},
                    )
            except IntegrityError:
                # a concurrent request with this key committed first
                existing = IdempotencyRecord.objects.filter(principal=principal, key=key).first()
                if existing is None:
                    raise
        if existing is not None:
            return _replay(existing, print_)
        response = handler()
        if not 200 <= response.status_code < 300:
            transaction.set_rollback(True)
            return response
        record.response_status = response.status_code
        record.response_body = response.data
        record.response_headers = {h: response[h] for h in KEPT_HEADERS if response.has_header(h)}
        record.save(update_fields=["response_status", "response_body", "response_headers"])
    return response


def _replay(record: IdempotencyRecord, print_: str) -> Response:
    if record.fingerprint != print_:
        raise KeyReused()
    headers: dict[str, Any] = dict(record.response_headers or {})
    headers[REPLAYED_HEADER] = "true"
    return Response(record.response_body, status=record.response_status, headers=headers)
