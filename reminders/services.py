"""Writes about notifications: the recipient marks them read; staff resend failed ones."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.policy import Action, ensure_can
from core.audit import audit_context

from .delivery import enqueue
from .models import Channel, DeliveryState, Notification


@transaction.atomic
def mark_notification_read(
    *, actor: Any, notification: Notification, now: dt.datetime
) -> Notification:
    """Mark one of the actor's own notifications read. Reading it again keeps the time it
    was first read."""
    ensure_can(actor, Action.CHANGE, notification)
    if notification.recipient_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("Only the recipient may mark a notification read."))
    if notification.read_at is not None:
        return notification
    notification.read_at = now
    with audit_context(actor=actor):
        notification.save(update_fields=["read_at", "updated_at"])
    return notification


@transaction.atomic
def mark_all_notifications_read(*, actor: Any, now: dt.datetime) -> int:
    """Mark every unread notification of the actor read, in one statement; how many."""
    unread = Notification.objects.for_user(actor, Action.CHANGE).filter(
        recipient_id=getattr(actor, "pk", None), read_at__isnull=True
    )
    with audit_context(actor=actor):
        return unread.update(read_at=now, updated_at=now)


RESENDABLE_STATES = (DeliveryState.FAILED, DeliveryState.UNKNOWN)


@transaction.atomic
def resend_notifications(
    *, actor: Any, notifications: Iterable[Notification], now: dt.datetime | None = None
) -> list[int]:
    """Put failed and unknown e-mails back in the outbox (pending, not yet enqueued) and
    enqueue them after commit; each goes out once more. Other selected notifications
    (in-app, pending, sent…) are left alone. Every one must be in the actor's scope.
    Returns the ids resent."""
    ids = {n.pk for n in notifications}
    if not ids:
        return []
    in_scope = Notification.objects.for_user(actor, Action.CHANGE).filter(pk__in=ids)
    if in_scope.count() != len(ids):
        raise PermissionDenied(_("You may not resend notifications outside your scope."))
    resendable = list(
        in_scope.select_for_update(of=("self",))
        .filter(channel=Channel.EMAIL, state__in=RESENDABLE_STATES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if resendable:
        with audit_context(actor=actor):
            Notification.objects.filter(pk__in=resendable).update(
                state=DeliveryState.PENDING,
                failure_reason="",
                sent_at=None,
                enqueued_at=None,
                updated_at=now or timezone.now(),
            )
        transaction.on_commit(lambda: enqueue(resendable))
    return resendable
