"""Audit context: who and which request made a change (the rows themselves are recorded
by django-pghistory's triggers). A no-op where the database is not PostgreSQL."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pghistory
from django.db import connection
from pghistory.middleware import HistoryMiddleware

from .middleware import current_request_id


def audit_enabled() -> bool:
    return connection.vendor == "postgresql"


@contextlib.contextmanager
def audit_context(*, actor: Any = None, **extra: Any) -> Iterator[None]:
    """Attach actor (a user or None) and the request id to every change in the block.

    Services called outside a request (Celery tasks, commands) use it to name their actor;
    inside a request it adds to the middleware's context.
    """
    if not audit_enabled():
        yield
        return
    metadata: dict[str, Any] = {"request_id": current_request_id(), **extra}
    if actor is not None and getattr(actor, "pk", None) is not None:
        metadata["user"] = actor.pk
    with pghistory.context(**metadata):
        yield


class AuditContextMiddleware(HistoryMiddleware):
    """pghistory's middleware plus the request id; skipped on databases without triggers."""

    def get_context(self, request: Any) -> dict[str, Any]:
        context = super().get_context(request)
        context["request_id"] = getattr(request, "request_id", current_request_id())
        return context

    def __call__(self, request: Any) -> Any:
        if not audit_enabled():
            return self.get_response(request)
        return super().__call__(request)


def newest_events_first(name: str) -> dict[str, Any]:
    """`pghistory.track(meta=...)` for a table with millions of events: an index of its
    events newest first, which the change log's page walks (core: accounts.selectors
    .change_log; at national scale the ministry's page took 4 s sorting every event)."""
    from django.db import models

    return {"indexes": [models.Index(fields=["-pgh_created_at", "-pgh_id"], name=name)]}
