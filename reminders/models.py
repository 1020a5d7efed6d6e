"""Notifications: one message to one user about one record, on one channel.

The rules and the daily sweep (issue 6) create them; a delivery task sends the e-mail ones.
A row is both the in-app message and, for e-mail, the outbox entry: the sweep inserts it
`pending` in the same transaction as it decides to notify, and delivery picks up pending
rows (`enqueued_at` marks the ones already handed to Celery), so a crash between the
decision and the send loses nothing and `notification_once` stops it being sent twice.
"""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.policy import ALL, OWN, Action, Role, ScopedQuerySet, Scoping
from core.audit import newest_events_first
from core.fields import TextLineField
from core.models import TimeStampedModel


class RuleKind(models.TextChoices):
    """What the notification is about: one value per reminder rule of issue 6."""

    SECONDMENT_STARTING = "secondment_starting", _("Secondment starting")
    EVALUATION_DUE = "evaluation_due", _("Evaluation due")
    EVALUATION_OVERDUE = "evaluation_overdue", _("Evaluation overdue")
    REPORT_DUE = "report_due", _("Progress report due")
    REPORT_OVERDUE = "report_overdue", _("Progress report overdue")
    STAFFING_GAP = "staffing_gap", _("Branch staffing gap")
    POSTING_ENDING = "posting_ending", _("Posting ending")
    AGREEMENT_ENDING = "agreement_ending", _("Agreement ending")
    QUOTA_UNFILLED = "quota_unfilled", _("Quota unfilled")
    OTHER = "other", _("Other")


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In the application")
    EMAIL = "email", _("E-mail")


class DeliveryState(models.TextChoices):
    """Delivery of the message on its channel (in-app messages are `sent` once stored)."""

    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    # the sender stopped mid-send (worker killed, mail server timed out): it may or may
    # not have gone out, so it is not retried blindly
    UNKNOWN = "unknown", _("Unknown")
    # not sent: the work was done (the report submitted…) before it went out
    CANCELLED = "cancelled", _("Cancelled (done)")


NOTIFICATION_GRANTS = {
    # the ministry oversees every notification; others those of their province's users.
    # The API narrows this to the caller's own notifications; marking read is a CHANGE
    # that only the recipient may make (reminders.services).
    Role.MINISTRY: dict.fromkeys(Action, ALL),
    Role.JUSTICE_DEPARTMENT: {Action.VIEW: OWN, Action.CHANGE: OWN},
    Role.BAR_ASSOCIATION: {Action.VIEW: OWN, Action.CHANGE: OWN},
    Role.PARTNER: {Action.VIEW: OWN, Action.CHANGE: OWN},
}


@pghistory.track(meta=newest_events_first("notificationevent_newest"))
class Notification(TimeStampedModel):
    """A message to a user about a record (a secondment, report, branch…), on one channel.

    Escalation sends the same reminder again at a higher `step` (e.g. to the provincial
    department once a report is 30 days overdue); each step is its own row.
    """

    rule = models.ForeignKey(
        "reminders.ReminderRule",
        verbose_name=_("reminder rule"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notifications",
        db_index=False,  # notification_rule_due_idx starts with the rule
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,  # notification_unread_idx starts with the recipient
        null=True,
        blank=True,
        help_text=_("A user of the platform; empty for an outside address (a mentor, a firm)."),
    )
    address = models.EmailField(
        _("e-mail address"),
        blank=True,
        help_text=_("Where an e-mail goes: the user's address when created, or an outside one."),
    )
    rule_kind = models.CharField(_("rule"), max_length=32, choices=RuleKind.choices)
    channel = models.CharField(
        _("channel"), max_length=16, choices=Channel.choices, default=Channel.IN_APP
    )
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"), blank=True)
    link = models.CharField(
        _("link"),
        max_length=512,
        blank=True,
        help_text=_("Path on this site to the record (/admin/pairing/secondment/12/change/)."),
    )
    object_label = models.CharField(
        _("record type"), max_length=64, blank=True, help_text=_("Model label: pairing.secondment.")
    )
    object_id = models.CharField(_("record id"), max_length=64, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    step = models.PositiveSmallIntegerField(
        _("reminder number"),
        default=0,
        help_text=_("0 = first notice; each repeat (and escalation) of the rule adds 1."),
    )
    level = models.PositiveSmallIntegerField(
        _("escalation level"),
        default=0,
        help_text=_("0 = the people who do the work; 1 = + provincial department; 2 = + ministry."),
    )
    state = models.CharField(
        _("delivery state"),
        max_length=16,
        choices=DeliveryState.choices,
        default=DeliveryState.PENDING,
    )
    failure_reason = models.CharField(_("failure reason"), max_length=1000, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    enqueued_at = models.DateTimeField(
        _("enqueued at"),
        null=True,
        blank=True,
        help_text=_(
            "When delivery was handed to the task queue (the outbox marker); empty while "
            "pending means the next sweep enqueues it."
        ),
    )

    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scoping = Scoping(
        province_paths=("recipient__organisation__province",), grants=NOTIFICATION_GRANTS
    )

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            # the back office's list, newest first (600,000 rows at national scale)
            models.Index(fields=["-created_at", "-id"], name="notification_newest_idx"),
            # the recipient's list, unread first (read_at IS NULL), newest first
            models.Index(
                fields=["recipient", "read_at", "-created_at"], name="notification_unread_idx"
            ),
            # the outbox: pending rows not yet (or long ago) enqueued
            models.Index(
                fields=["state", "enqueued_at"],
                name="notification_outbox_idx",
                condition=Q(state="pending"),
            ),
            # the reaper: rows stuck in `sending` (a worker killed mid-send)
            models.Index(
                fields=["updated_at"],
                name="notification_sending_idx",
                condition=Q(state="sending"),
            ),
            # the sweep counts what it wrote per rule among the day's due dates: without
            # this it read every notification's index entry (cost grew with the table)
            models.Index(fields=["rule", "due_date"], name="notification_rule_due_idx"),
        ]
        constraints = [
            # the daily sweep may run twice (a retry, a second worker): one notice per
            # recipient, rule, record, due date, escalation step and channel
            models.UniqueConstraint(
                fields=[
                    "recipient",
                    "address",
                    "rule",
                    "rule_kind",
                    "object_label",
                    "object_id",
                    "due_date",
                    "step",
                    "channel",
                ],
                name="notification_once",
                nulls_distinct=False,  # a notice without a due date is still sent once
                violation_error_message=_("This notification has already been created."),
            ),
            models.CheckConstraint(
                condition=Q(recipient__isnull=False) | ~Q(address=""),
                name="notification_has_a_recipient",
                violation_error_message=_("Recipient: a user or an e-mail address."),
            ),
            models.CheckConstraint(
                condition=Q(state="sent", sent_at__isnull=False) | ~Q(state="sent"),
                name="notification_sent_has_time",
                violation_error_message=_("Sent at: required once the notification is sent."),
            ),
            # a link is a path on this site, never another site (no phishing links in
            # e-mails sent in the ministry's name)
            models.CheckConstraint(
                condition=Q(link="") | (Q(link__startswith="/") & ~Q(link__startswith="//")),
                name="notification_link_is_local_path",
                violation_error_message=_("Link: a path on this site, starting with “/”."),
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class DayUnit(models.TextChoices):
    CALENDAR = "calendar", _("calendar days")
    WORKING = "working", _("working days")


class RecipientRole(models.TextChoices):
    """Who a rule writes to; which apply depends on the rule's kind (RULE_RECIPIENTS)."""

    HOST_FIRM = "host_firm", _("Host firm (e-mail)")
    MENTOR = "mentor", _("Mentor (e-mail)")
    HOME_BAR = "home_bar", _("Trainee's bar association")
    HOST_DEPARTMENT = "host_department", _("Host province's justice department")
    PAIRING_FIRMS = "pairing_firms", _("Both firms of the pairing (e-mail)")
    PAIRING_BARS = "pairing_bars", _("Both provinces' bar associations")
    BRANCH_FIRM = "branch_firm", _("Branch office and its parent firm (e-mail)")
    PROVINCE_BAR = "province_bar", _("Bar association of the record's province")
    PROVINCE_DEPARTMENT = "province_department", _("Justice department of the record's province")
    MINISTRY = "ministry", _("Ministry of Justice")


# which recipients make sense for which kind of obligation
RULE_RECIPIENTS: dict[str, set[str]] = {
    RuleKind.SECONDMENT_STARTING: {"host_firm", "mentor", "home_bar", "host_department"},
    RuleKind.EVALUATION_DUE: {"mentor", "host_firm", "host_department", "home_bar"},
    RuleKind.EVALUATION_OVERDUE: {"mentor", "host_firm", "host_department", "home_bar"},
    RuleKind.REPORT_DUE: {"pairing_firms", "pairing_bars", "province_department"},
    RuleKind.REPORT_OVERDUE: {"pairing_firms", "pairing_bars", "province_department"},
    RuleKind.STAFFING_GAP: {"branch_firm", "province_bar", "province_department"},
    RuleKind.POSTING_ENDING: {"branch_firm", "province_bar", "province_department"},
    RuleKind.AGREEMENT_ENDING: {"province_department", "ministry"},
    RuleKind.QUOTA_UNFILLED: {"province_department", "province_bar", "ministry"},
}


class ReminderRule(TimeStampedModel):
    """When to remind whom of one kind of deadline. Edited by ministry staff.

    A reminder goes out `offset` days from the due date (negative: before it, positive:
    after it, i.e. overdue), in calendar or working days (the holiday calendar); one that
    would fall on a non-working day goes out on the working day before. It repeats every
    `repeat_every` days up to `max_repeats` times while the work is not done, and after
    `escalate_after` working days without it the provincial justice department, then
    the ministry, are written to as well.
    """

    name = TextLineField(_("name"), max_length=128, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=RuleKind.choices, db_index=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    offset = models.IntegerField(
        _("offset from the due date"),
        default=-7,
        help_text=_("Days from the due date: negative before it (-7), positive after it (+3)."),
    )
    offset_unit = models.CharField(
        _("offset counted in"), max_length=16, choices=DayUnit.choices, default=DayUnit.WORKING
    )
    repeat_every = models.PositiveSmallIntegerField(
        _("repeat every"), default=0, help_text=_("Days between repeats; 0: no repeats.")
    )
    repeat_unit = models.CharField(
        _("repeats counted in"), max_length=16, choices=DayUnit.choices, default=DayUnit.WORKING
    )
    max_repeats = models.PositiveSmallIntegerField(_("at most this many repeats"), default=0)
    escalate_after = models.PositiveSmallIntegerField(
        _("escalate after (working days)"),
        default=0,
        help_text=_(
            "Working days after the first notice before the provincial justice department is "
            "written to as well (twice as many: the ministry); 0: never."
        ),
    )
    recipients = models.JSONField(
        _("recipients"), default=list, help_text=_("Who is written to at the first level.")
    )
    send_email = models.BooleanField(_("send e-mail"), default=True)
    horizon_days = models.PositiveSmallIntegerField(
        _("look ahead (days)"),
        default=30,
        help_text=_("Staffing gaps: how many days ahead a gap is looked for."),
    )

    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scoping = Scoping(province_paths=(), grants={Role.MINISTRY: dict.fromkeys(Action, ALL)})

    class Meta:
        verbose_name = _("reminder rule")
        verbose_name_plural = _("reminder rules")
        ordering = ["kind", "offset", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        allowed = RULE_RECIPIENTS.get(self.kind, set())
        given = self.recipients if isinstance(self.recipients, list) else None
        if given is None or not all(isinstance(r, str) for r in given):
            raise ValidationError({"recipients": _("Recipients: a list of recipient roles.")})
        wrong = [r for r in given if r not in allowed]
        if wrong:
            raise ValidationError(
                {
                    "recipients": _(
                        "Recipients: %(wrong)s do not apply to this kind (%(allowed)s)."
                    )
                    % {"wrong": ", ".join(wrong), "allowed": ", ".join(sorted(allowed))}
                }
            )
        if not given:
            raise ValidationError({"recipients": _("Recipients: choose at least one.")})
        if self.max_repeats and not self.repeat_every:
            raise ValidationError(
                {"repeat_every": _("Repeat every: needed when repeats are allowed.")}
            )


class SweepRun(models.Model):
    """What one rule's sweep of one day found and wrote (the dashboard counts per rule per
    day; recipients that could not be reached are listed, not dropped silently)."""

    rule = models.ForeignKey(
        ReminderRule,
        verbose_name=_("reminder rule"),
        on_delete=models.CASCADE,
        related_name="runs",
    )
    run_on = models.DateField(_("sweep day"), db_index=True)
    obligations = models.PositiveIntegerField(_("deadlines found"), default=0)
    created = models.PositiveIntegerField(_("notifications created"), default=0)
    unreachable = models.JSONField(
        _("unreachable"),
        default=list,
        blank=True,
        help_text=_("Records whose recipients have no user or e-mail address."),
    )
    queries = models.PositiveIntegerField(_("queries"), default=0)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scoping = Scoping(province_paths=(), grants={Role.MINISTRY: {Action.VIEW: ALL}})

    class Meta:
        verbose_name = _("sweep run")
        verbose_name_plural = _("sweep runs")
        ordering = ["-run_on", "rule_id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "run_on"], name="sweep_run_once_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.run_on}"
