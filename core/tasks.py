"""Platform-level tasks."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

HEARTBEAT_KEY = "core:beat-heartbeat"


@shared_task(name="core.tasks.heartbeat", ignore_result=False)
def heartbeat(token: str = "") -> dict[str, str]:
    """Proves a worker can reach the database and the cache; records the time it ran.

    Scheduled by beat; also used by the test that runs a real worker end to end.
    """
    if not isinstance(token, str) or len(token) > 64:
        raise ValueError("heartbeat: token must be a string of at most 64 characters")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (db_ok,) = cursor.fetchone()
    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, now, timeout=None)
    return {"token": token, "database": "ok" if db_ok == 1 else "unexpected", "at": now}


@shared_task(name="core.tasks.purge_idempotency_records", ignore_result=True)
def purge_idempotency_records() -> int:
    """Delete Idempotency-Key records older than IDEMPOTENCY_TTL_HOURS (one statement)."""
    from django.conf import settings

    from .models import IdempotencyRecord

    cutoff = timezone.now() - dt.timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
