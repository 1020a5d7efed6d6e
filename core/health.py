"""`/healthz`: 200 when the database and the broker answer, 503 when either does not.

The body also says whether a Celery worker ran the heartbeat task recently (`worker`:
ok / stale / unknown / eager). That does not change the status code: a load balancer must
keep sending requests to a web server whose database and broker answer, whatever the
workers do. The worker's own health check (`manage.py worker_health`, in docker-compose.yml)
fails on a stale heartbeat.
"""

from __future__ import annotations

import datetime as dt
import logging

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def check_database() -> str:
    """'ok' or a short English reason (the reason goes to logs, not to users)."""
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down" here
        logger.warning("health: database check failed: %s", exc)
        return "unavailable"
    return "ok"


def check_broker() -> str:
    """'ok', 'eager' (tasks run in-process, no broker needed) or 'unavailable'."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    try:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_connect_timeout=2, socket_timeout=2
        )
        client.ping()
        client.close()
    except Exception as exc:
        logger.warning("health: broker check failed: %s", exc)
        return "unavailable"
    return "ok"


def check_worker(*, now: dt.datetime | None = None) -> str:
    """'ok' when a worker ran the heartbeat task (core.tasks.heartbeat, sent by beat every
    5 minutes; it reads the database and writes the cache) within
    WORKER_HEARTBEAT_MAX_AGE_SECONDS; 'stale' when the last one is older (no worker can run
    tasks, or beat is not running); 'unknown' when none was ever recorded or the cache does
    not answer; 'eager' when tasks run in-process."""
    from .tasks import HEARTBEAT_KEY

    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    try:
        recorded = cache.get(HEARTBEAT_KEY)
    except Exception as exc:
        logger.warning("health: cache check failed: %s", exc)
        return "unknown"
    last = parse_datetime(recorded) if isinstance(recorded, str) else None
    if last is None:
        return "unknown"
    age = ((now or timezone.now()) - last).total_seconds()
    if age > settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS:
        logger.warning("health: the last worker heartbeat ran %.0f s ago", age)
        return "stale"
    return "ok"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness for load balancers and compose health checks."""
    checks = {"database": check_database(), "broker": check_broker()}
    healthy = all(v in ("ok", "eager") for v in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks, "worker": check_worker()},
        status=200 if healthy else 503,
    )
