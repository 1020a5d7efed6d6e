"""Celery tasks of the reminders: thin wrappers over `delivery`. They take ids (or
nothing), are idempotent (a pending row is claimed once; a second run finds nothing to
do) and ignore their results (fire and forget)."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import delivery


@shared_task(
    bind=True,
    name="reminders.tasks.deliver_notifications",
    acks_late=True,
    ignore_result=True,
)
def deliver_notifications(self: Any, ids: list[int]) -> dict[str, int]:
    """Send the pending e-mail notifications among `ids` (at most MAX_IDS_PER_TASK).
    Temporary SMTP failures are retried with capped exponential backoff; the rows stay
    pending in between."""
    ids = delivery.parse_ids(ids, what="deliver_notifications")
    outcome = delivery.deliver(ids, attempt=self.request.retries)
    if outcome.retry:
        raise self.retry(
            args=[outcome.retry],
            countdown=outcome.retry_in,
            max_retries=settings.REMINDER_DELIVERY_MAX_RETRIES,
        )
    return {
        "sent": len(outcome.sent),
        "cancelled": len(outcome.cancelled),
        "failed": len(outcome.failed),
        "unknown": len(outcome.unknown),
    }


@shared_task(name="reminders.tasks.flush_outbox", ignore_result=True)
def flush_outbox() -> int:
    """Every minute: enqueue pending e-mails never enqueued (the broker was down) or
    enqueued long ago and still pending (a lost task)."""
    return delivery.flush_outbox(now=timezone.now())


@shared_task(name="reminders.tasks.reap_stale_sending", ignore_result=True)
def reap_stale_sending() -> int:
    """Every five minutes: e-mails left `sending` by a dead worker become `unknown`."""
    return delivery.reap_stale_sending(now=timezone.now())


@shared_task(name="reminders.tasks.run_daily_sweep", ignore_result=True)
def run_daily_sweep(day: str | None = None) -> dict[str, int]:
    """The beat job (08:00 Asia/Shanghai by default): sweep today (or `day`,
    YYYY-MM-DD). Safe to run twice: a notification is never written twice."""
    import datetime as dt

    from django.utils import timezone

    from .sweep import run_sweep

    if day is not None and not isinstance(day, str):
        raise ValueError("run_daily_sweep: day must be a YYYY-MM-DD string or omitted")
    try:
        on = dt.date.fromisoformat(day) if day else timezone.localdate()
    except ValueError as exc:
        raise ValueError(f"run_daily_sweep: day must be YYYY-MM-DD, got {day!r}") from exc
    results = run_sweep(on=on)
    return {str(r.rule.pk): r.notifications for r in results}
