"""Reads about reminders: the sweep's counts per rule per day (admin dashboard)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count

from accounts.policy import Action

from .models import Channel, DeliveryState, Notification, ReminderRule, SweepRun


@dataclass
class RuleDays:
    rule: ReminderRule
    created: list[int] = field(default_factory=list)  # per day, oldest first
    unreachable: int = 0  # on the last day swept


@dataclass
class ReminderCounts:
    days: list[dt.date]
    rules: list[RuleDays]
    unknown: int  # e-mails that may or may not have gone out: staff decide (resend)
    failed: int


def reminder_counts(*, user: Any, today: dt.date, days: int = 7) -> ReminderCounts | None:
    """Notifications written per rule per day over the last `days` days, and the e-mails
    needing a decision; None for users who may not see the rules (everyone but the
    ministry). Three queries, whatever the number of rules and days."""
    if not ReminderRule.scoping.allows(user, Action.VIEW):
        return None
    span = [today - dt.timedelta(days=i) for i in range(days - 1, -1, -1)]
    rules = list(ReminderRule.objects.for_user(user, Action.VIEW).order_by("kind", "id"))
    rows = {r.pk: RuleDays(r, [0] * len(span)) for r in rules}
    index = {d: i for i, d in enumerate(span)}
    for run in SweepRun.objects.filter(run_on__gte=span[0], run_on__lte=today).values(
        "rule_id", "run_on", "created", "unreachable"
    ):
        row = rows.get(run["rule_id"])
        if row is None:
            continue
        row.created[index[run["run_on"]]] = run["created"]
        if run["run_on"] == today or not row.unreachable:
            row.unreachable = len(run["unreachable"] or [])
    states = dict(
        Notification.objects.filter(
            channel=Channel.EMAIL, state__in=[DeliveryState.UNKNOWN, DeliveryState.FAILED]
        )
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    return ReminderCounts(
        days=span,
        rules=list(rows.values()),
        unknown=states.get(DeliveryState.UNKNOWN, 0),
        failed=states.get(DeliveryState.FAILED, 0),
    )
