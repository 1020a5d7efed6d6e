"""`/healthz`: 200 when the database and the broker answer, 503 when either does not."""

from __future__ import annotations

import logging

import redis
from django.conf import settings
from django.db import connections
from django.http import HttpRequest, JsonResponse
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


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness for load balancers and compose health checks."""
    checks = {"database": check_database(), "broker": check_broker()}
    healthy = all(v in ("ok", "eager") for v in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )
