"""Demo reminders: the default rules swept over the last two weeks, so the dashboard,
the notification lists and the inboxes have something to show."""

from __future__ import annotations

import datetime as dt

from .models import SweepRun
from .sweep import run_sweep


def load(*, today: dt.date) -> str:
    if SweepRun.objects.exists():
        return "already loaded"
    written = 0
    for back in range(13, -1, -1):
        results = run_sweep(on=today - dt.timedelta(days=back))
        written += sum(r.notifications for r in results)
    return f"{written} notifications from the default reminder rules over 14 days"
