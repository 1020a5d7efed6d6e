"""Writes about notifications: the recipient marks them read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.policy import Action, ensure_can
from core.audit import audit_context

from .models import Notification


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
