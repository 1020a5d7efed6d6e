"""The daily sweep: for each enabled rule, the obligations whose reminder falls on the
day, their recipients, and one Notification per recipient (and channel).

Per rule: the due dates whose reminder (first notice or a repeat) falls on the sweep day
are worked out from the holiday calendar, then ONE set-based query per rule finds the open
obligations due on those dates (an indexed due-date window), one query finds the users to
write to, and one INSERT … ON CONFLICT DO NOTHING writes the notifications: the unique key
(recipient, address, rule, record, due date, reminder number, channel) makes a rerun, an
overlapping run or a backfill create nothing twice. E-mails are handed to delivery after
the transaction commits; if the broker is down they stay in the outbox (pending, not
enqueued) for the next flush.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.policy import Role
from regions.workdays import WorkCalendar

from .models import (
    Channel,
    DayUnit,
    DeliveryState,
    Notification,
    RecipientRole,
    ReminderRule,
    RuleKind,
    SweepRun,
)
from .obligations import Obligation, due

logger = logging.getLogger(__name__)

BAR_ROLES = {RecipientRole.HOME_BAR, RecipientRole.PAIRING_BARS, RecipientRole.PROVINCE_BAR}
DEPARTMENT_ROLES = {RecipientRole.HOST_DEPARTMENT, RecipientRole.PROVINCE_DEPARTMENT}
EMAIL_ROLES = {
    RecipientRole.HOST_FIRM,
    RecipientRole.MENTOR,
    RecipientRole.PAIRING_FIRMS,
    RecipientRole.BRANCH_FIRM,
}


# --- when ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Send:
    step: int  # reminder number: 0 first notice, then repeats
    level: int  # escalation: 0 owners, 1 + provincial department, 2 + ministry


def _shift(calendar: WorkCalendar, day: dt.date, n: int, unit: str) -> dt.date:
    if unit == DayUnit.WORKING:
        return calendar.add_working_days(day, n)
    return day + dt.timedelta(days=n)


def send_day(rule: ReminderRule, due_date: dt.date, step: int, calendar: WorkCalendar) -> dt.date:
    """The day reminder number `step` of `rule` goes out for a deadline on `due_date`: the
    offset from the due date, plus `step` repeats, moved back to the previous working day
    when it falls on a weekend or public holiday."""
    day = _shift(calendar, due_date, rule.offset, rule.offset_unit)
    if step:
        day = _shift(calendar, day, step * rule.repeat_every, rule.repeat_unit)
    return calendar.previous_working_day(day)


def _working_days_between(calendar: WorkCalendar, start: dt.date, end: dt.date) -> int:
    n, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if calendar.is_working_day(day):
            n += 1
    return n


def schedule(rule: ReminderRule, on: dt.date, calendar: WorkCalendar) -> dict[dt.date, Send]:
    """Due date -> the reminder that goes out on `on` for deadlines on that date."""
    if rule.kind == RuleKind.STAFFING_GAP:
        return _gap_schedule(rule, on, calendar)
    if not calendar.is_working_day(on):
        return {}  # reminders go out on working days only
    steps = range((rule.max_repeats if rule.repeat_every else 0) + 1)
    out: dict[dt.date, Send] = {}
    for step in steps:
        span = abs(rule.offset) + step * rule.repeat_every
        reach = 3 * span + 21  # working days stretch over weekends and long holidays
        target = on - dt.timedelta(days=rule.offset + step * rule.repeat_every)
        for i in range(-reach, reach + 1):
            due_date = target + dt.timedelta(days=i)
            if due_date in out or send_day(rule, due_date, step, calendar) != on:
                continue
            out[due_date] = Send(step, _level(rule, due_date, on, calendar))
    return out


def _level(rule: ReminderRule, due_date: dt.date, on: dt.date, calendar: WorkCalendar) -> int:
    if not rule.escalate_after:
        return 0
    first = send_day(rule, due_date, 0, calendar)
    waited = _working_days_between(calendar, first, on)
    if waited >= 2 * rule.escalate_after:
        return 2
    return 1 if waited >= rule.escalate_after else 0


def _gap_schedule(rule: ReminderRule, on: dt.date, calendar: WorkCalendar) -> dict[dt.date, Send]:
    """Staffing gaps are written about as soon as one shows within the horizon (one notice
    per gap day), and again to the provincial department once the gap is no more than
    `escalate_after` working days away."""
    if not calendar.is_working_day(on):
        return {}
    out = {}
    for i in range(rule.horizon_days + 1):
        day = on + dt.timedelta(days=i)
        near = rule.escalate_after and _working_days_between(calendar, on, day) <= (
            rule.escalate_after
        )
        out[day] = Send(1, 1) if near else Send(0, 0)
    return out


# --- whom -------------------------------------------------------------------------------------
@dataclass
class Recipient:
    user_id: int | None
    address: str


@dataclass
class Directory:
    """The active users of the bar associations, justice departments and ministry the
    obligations name (one query for a whole rule)."""

    bars: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    departments: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    ministry: list[tuple[int, str]] = field(default_factory=list)

    @classmethod
    def load(cls, bar_provinces: set[int], department_provinces: set[int], ministry: bool):
        directory = cls()
        q = Q(organisation__kind=Role.BAR_ASSOCIATION, organisation__province_id__in=bar_provinces)
        q |= Q(
            organisation__kind=Role.JUSTICE_DEPARTMENT,
            organisation__province_id__in=department_provinces,
        )
        if ministry:
            q |= Q(organisation__kind=Role.MINISTRY)
        users = (
            User.objects.filter(q, is_active=True, organisation__is_active=True)
            .filter(api_key__isnull=True)  # an API key's service user reads no mail
            .values_list("pk", "email", "organisation__kind", "organisation__province_id")
            .order_by("pk")
        )
        for pk, email, kind, province_id in users:
            if kind == Role.BAR_ASSOCIATION:
                directory.bars.setdefault(province_id, []).append((pk, email))
            elif kind == Role.JUSTICE_DEPARTMENT:
                directory.departments.setdefault(province_id, []).append((pk, email))
            else:
                directory.ministry.append((pk, email))
        return directory


def _roles_at(rule: ReminderRule, level: int) -> list[str]:
    roles = list(rule.recipients)
    if level >= 1:
        roles.append("escalate_department")
    if level >= 2:
        roles.append(RecipientRole.MINISTRY)
    return roles


def recipients_of(
    obligation: Obligation, roles: Iterable[str], directory: Directory
) -> list[Recipient]:
    found: dict[tuple[int | None, str], Recipient] = {}

    def users(pairs: Iterable[tuple[int, str]]) -> None:
        for pk, email in pairs:
            found.setdefault((pk, ""), Recipient(pk, email or ""))

    for role in roles:
        if role in EMAIL_ROLES:
            for address in obligation.emails.get(role, ()):
                found.setdefault((None, address.lower()), Recipient(None, address))
        elif role in BAR_ROLES:
            for province in obligation.provinces.get(role, ()):
                users(directory.bars.get(province, []))
        elif role in DEPARTMENT_ROLES:
            for province in obligation.provinces.get(role, ()):
                users(directory.departments.get(province, []))
        elif role == "escalate_department":
            for province in obligation.involved:
                users(directory.departments.get(province, []))
        elif role == RecipientRole.MINISTRY:
            users(directory.ministry)
    return list(found.values())


# --- what --------------------------------------------------------------------------------------
def _subject(rule: ReminderRule, obligation: Obligation, send: Send) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        label = str(RuleKind(rule.kind).label)
        subject = _("%(kind)s: %(title)s (due %(due)s)") % {
            "kind": label,
            "title": obligation.title,
            "due": obligation.due_date.isoformat(),
        }
        if send.level:
            subject = _("[Escalated] %(subject)s") % {"subject": subject}
    return subject[:255]


def _body(rule: ReminderRule, obligation: Obligation, on: dt.date) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        days = (obligation.due_date - on).days
        if days >= 0:
            when = _("Due on %(due)s, in %(days)d days.") % {
                "due": obligation.due_date.isoformat(),
                "days": days,
            }
        else:
            when = _("Was due on %(due)s, %(days)d days ago.") % {
                "due": obligation.due_date.isoformat(),
                "days": -days,
            }
        return f"{obligation.title}\n{when}"


# --- the sweep -----------------------------------------------------------------------------------
@dataclass
class RuleResult:
    rule: ReminderRule
    obligations: int = 0
    notifications: int = 0  # rows this run wrote (0 on a rerun)
    unreachable: list[dict[str, Any]] = field(default_factory=list)
    queries: int = 0
    seconds: float = 0.0
    would_send: list[Notification] = field(default_factory=list)  # dry run


class _QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        self.count += 1
        return execute(sql, params, many, context)


def run_sweep(
    *, on: dt.date, dry_run: bool = False, rule_ids: Iterable[int] | None = None
) -> list[RuleResult]:
    """Sweep `on` (a date: the daily run, or a backfill). With `dry_run`, nothing is
    written: the results list what would be sent."""
    calendar = WorkCalendar.for_years(on.year - 1, on.year + 2)
    rules = ReminderRule.objects.filter(enabled=True).order_by("kind", "id")
    if rule_ids is not None:
        rules = rules.filter(pk__in=list(rule_ids))
    results = []
    for rule in rules:
        counter = _QueryCounter()
        started = time.perf_counter()
        with connection.execute_wrapper(counter):
            result = _sweep_rule(rule, on, calendar, dry_run=dry_run)
        result.queries = counter.count
        result.seconds = time.perf_counter() - started
        if not dry_run:
            _record_run(result, on)
        results.append(result)
    return results


def _sweep_rule(
    rule: ReminderRule, on: dt.date, calendar: WorkCalendar, *, dry_run: bool
) -> RuleResult:
    result = RuleResult(rule)
    plan = schedule(rule, on, calendar)
    obligations = due(rule.kind, dues=plan.keys(), today=on, horizon=rule.horizon_days)
    result.obligations = len(obligations)
    if not obligations:
        return result
    levels = {plan[o.due_date].level for o in obligations}
    roles = set(rule.recipients)
    bar_provinces = {
        p for o in obligations for r in roles & BAR_ROLES for p in o.provinces.get(r, ())
    }
    department_provinces = {
        p for o in obligations for r in roles & DEPARTMENT_ROLES for p in o.provinces.get(r, ())
    }
    if max(levels) >= 1:
        department_provinces |= {p for o in obligations for p in o.involved}
    directory = Directory.load(
        bar_provinces,
        department_provinces,
        ministry=RecipientRole.MINISTRY in roles or max(levels) >= 2,
    )
    now = timezone.now()
    rows: list[Notification] = []
    for obligation in obligations:
        send = plan[obligation.due_date]
        found = recipients_of(obligation, _roles_at(rule, send.level), directory)
        if not found:
            result.unreachable.append(
                {
                    "object": f"{obligation.object_label}:{obligation.object_id}",
                    "title": obligation.title,
                    "due_date": obligation.due_date.isoformat(),
                    "roles": sorted(_roles_at(rule, send.level)),
                }
            )
            logger.warning(
                "reminder rule %s: nobody to write to about %s:%s (roles %s)",
                rule.pk,
                obligation.object_label,
                obligation.object_id,
                ",".join(sorted(rule.recipients)),
            )
            continue
        common = {
            "rule": rule,
            "rule_kind": rule.kind,
            "object_label": obligation.object_label,
            "object_id": str(obligation.object_id),
            "due_date": obligation.due_date,
            "step": send.step,
            "level": send.level,
            "subject": _subject(rule, obligation, send),
            "body": _body(rule, obligation, on),
            "link": obligation.link,
        }
        for recipient in found:
            if recipient.user_id is not None:
                rows.append(
                    Notification(
                        recipient_id=recipient.user_id,
                        channel=Channel.IN_APP,
                        state=DeliveryState.SENT,
                        sent_at=now,
                        **common,
                    )
                )
            if rule.send_email and recipient.address:
                rows.append(
                    Notification(
                        recipient_id=recipient.user_id,
                        address=recipient.address if recipient.user_id is None else "",
                        channel=Channel.EMAIL,
                        state=DeliveryState.PENDING,
                        **common,
                    )
                )
    if dry_run:
        result.would_send = rows
        return result
    with transaction.atomic():
        started = timezone.now()
        Notification.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
        # rows that already existed were skipped (ON CONFLICT DO NOTHING): count what this
        # run wrote, among this day's due dates only (not the rule's whole history)
        result.notifications = Notification.objects.filter(
            rule=rule, due_date__in=list(plan), created_at__gte=started
        ).count()
        if any(r.channel == Channel.EMAIL for r in rows):
            transaction.on_commit(lambda: _enqueue_outbox(rule.pk))
    return result


def _enqueue_outbox(rule_id: int) -> None:
    """Hand this rule's new e-mails to delivery (after commit; a broker that is down leaves
    them in the outbox for the next flush)."""
    from .delivery import enqueue

    ids = list(
        Notification.objects.filter(
            rule_id=rule_id,
            channel=Channel.EMAIL,
            state=DeliveryState.PENDING,
            enqueued_at__isnull=True,
        ).values_list("pk", flat=True)
    )
    if ids:
        enqueue(ids)


def _record_run(result: RuleResult, on: dt.date) -> None:
    run, created = SweepRun.objects.get_or_create(
        rule=result.rule,
        run_on=on,
        defaults={
            "obligations": result.obligations,
            "created": result.notifications,
            "unreachable": result.unreachable,
            "queries": result.queries,
            "duration_ms": int(result.seconds * 1000),
        },
    )
    if not created:
        SweepRun.objects.filter(pk=run.pk).update(
            obligations=result.obligations,
            created=F("created") + result.notifications,
            unreachable=result.unreachable,
            queries=result.queries,
            duration_ms=int(result.seconds * 1000),
            updated_at=timezone.now(),
        )
