"""Reads for the portal's home page: what needs doing now in the user's province.

Every read starts from `Model.objects.for_user(user, VIEW)` (the one policy layer). Each
section is a short list (at most `LIST_LIMIT` rows, with `select_related` for what the page
shows) and a total from one conditional-count query per model, so the page costs the same
number of queries at 2 rows as at 2,000.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet

from accounts.policy import Action
from branches.dashboard import Dashboard, programme_dashboard
from pairing.models import (
    OPEN_REPORT_STATUSES,
    ProgressReport,
    ReportStatus,
    Secondment,
    SecondmentStatus,
)
from reminders.models import Channel, Notification
from reminders.obligations import EVALUATION_DUE_DAYS

LIST_LIMIT = 10
UNREAD_LIMIT = 5
DUE_WINDOW_DAYS = 30

# the mentor's evaluation is owed once a secondment that took place has ended
EVALUATED_STATUSES = (SecondmentStatus.ACTIVE, SecondmentStatus.COMPLETED)


@dataclass(frozen=True)
class Section:
    """One list on the home page: the first rows and how many there are in all."""

    rows: list[Any]
    total: int

    @property
    def more(self) -> int:
        return max(self.total - len(self.rows), 0)


@dataclass(frozen=True)
class HomeWork:
    """Everything the home page shows, for one user on one day."""

    today: dt.date
    due_until: dt.date
    month_start: dt.date
    month_end: dt.date
    reports_due: Section
    reports_overdue: Section
    reports_returned: Section
    secondments_starting: Section
    secondments_ending: Section
    evaluations_missing: Section
    unread: Section
    dashboard: Dashboard


def inbox(user: Any) -> QuerySet:
    """The user's own in-app notifications, unread first, newest first (the index
    notification_unread_idx). The policy scopes to the province; the inbox to the recipient.
    A reminder e-mailed to a user also has its in-app row (reminders.sweep writes both), so
    the e-mail copy is left out rather than listed twice."""
    unread = ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())
    return (
        Notification.objects.for_user(user, Action.VIEW)
        .filter(recipient_id=getattr(user, "pk", None), channel=Channel.IN_APP)
        .alias(is_unread=unread)
        .order_by("-is_unread", "-created_at", "-id")
    )


def _report_filters(today: dt.date, due_until: dt.date) -> dict[str, Q]:
    return {
        # still to (re)submit, due within the window (ProgressReport.overdue_q covers the past)
        "due": Q(status__in=OPEN_REPORT_STATUSES, due_date__gte=today, due_date__lte=due_until),
        "overdue": ProgressReport.overdue_q(today),
        # returned by the reviewer with a reason: the pairing fixes and resubmits it
        "returned": Q(status=ReportStatus.RETURNED),
    }


def _secondment_filters(today: dt.date, month_start: dt.date, month_end: dt.date) -> dict[str, Q]:
    not_cancelled = ~Q(status=SecondmentStatus.CANCELLED)
    return {
        "starting": not_cancelled & Q(start_date__gte=month_start, start_date__lte=month_end),
        "ending": not_cancelled & Q(end_date__gte=month_start, end_date__lte=month_end),
        # reminders.obligations.evaluations: owed from the day after the last day
        "evaluation": Q(status__in=EVALUATED_STATUSES, end_date__lt=today, evaluation_grade=""),
    }


def _totals(queryset: QuerySet, filters: dict[str, Q]) -> dict[str, int]:
    """One query: how many rows match each filter."""
    return queryset.order_by().aggregate(
        **{key: Count("pk", filter=q) for key, q in filters.items()}
    )


def _section(queryset: QuerySet, q: Q, total: int, *order: str) -> Section:
    """The first rows of a section (no query when the count says there are none)."""
    rows = list(queryset.filter(q).order_by(*order)[:LIST_LIMIT]) if total else []
    return Section(rows=rows, total=total)


def home_work(*, user: Any, today: dt.date) -> HomeWork:
    """What `user` has to do on `today`, scoped to what the policy lets them see."""
    view = Action.VIEW
    due_until = today + dt.timedelta(days=DUE_WINDOW_DAYS)
    month_start = today.replace(day=1)
    month_end = today.replace(day=calendar.monthrange(today.year, today.month)[1])

    reports = ProgressReport.objects.for_user(user, view).select_related(
        "pairing__helper_firm", "pairing__recipient_firm"
    )
    report_q = _report_filters(today, due_until)
    report_totals = _totals(reports, report_q)

    secondments = Secondment.objects.for_user(user, view).select_related(
        "trainee__lawyer", "host_firm"
    )
    secondment_q = _secondment_filters(today, month_start, month_end)
    secondment_totals = _totals(secondments, secondment_q)

    evaluations = _section(
        secondments, secondment_q["evaluation"], secondment_totals["evaluation"], "end_date", "id"
    )
    for s in evaluations.rows:
        s.evaluation_due = s.end_date + dt.timedelta(days=EVALUATION_DUE_DAYS)

    notifications = Notification.objects.for_user(user, view).filter(
        recipient_id=getattr(user, "pk", None), read_at__isnull=True
    )
    unread_total = notifications.count()
    unread = (
        list(notifications.order_by("-created_at", "-id")[:UNREAD_LIMIT]) if unread_total else []
    )

    return HomeWork(
        today=today,
        due_until=due_until,
        month_start=month_start,
        month_end=month_end,
        reports_due=_section(reports, report_q["due"], report_totals["due"], "due_date", "id"),
        reports_overdue=_section(
            reports, report_q["overdue"], report_totals["overdue"], "due_date", "id"
        ),
        reports_returned=_section(
            reports, report_q["returned"], report_totals["returned"], "due_date", "id"
        ),
        secondments_starting=_section(
            secondments,
            secondment_q["starting"],
            secondment_totals["starting"],
            "start_date",
            "id",
        ),
        secondments_ending=_section(
            secondments, secondment_q["ending"], secondment_totals["ending"], "end_date", "id"
        ),
        evaluations_missing=evaluations,
        unread=Section(rows=unread, total=unread_total),
        # progress against targets and the staffing gaps ahead: the admin dashboard's own
        # figures (branches.selectors.branches_with_gap over the user's active branches)
        dashboard=programme_dashboard(user=user, today=today),
    )
