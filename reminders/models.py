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


NOTIFICATION_GRANTS = {
    # the ministry oversees every notification; others those of their province's users.
    # The API narrows this to the caller's own notifications; marking read is a CHANGE
    # that only the recipient may make (reminders.services).
    Role.MINISTRY: dict.fromkeys(Action, ALL),
    Role.JUSTICE_DEPARTMENT: {Action.VIEW: OWN, Action.CHANGE: OWN},
    Role.BAR_ASSOCIATION: {Action.VIEW: OWN, Action.CHANGE: OWN},
    Role.PARTNER: {Action.VIEW: OWN, Action.CHANGE: OWN},
}


@pghistory.track()
class Notification(TimeStampedModel):
    """A message to a user about a record (a secondment, report, branch…), on one channel.

    Escalation sends the same reminder again at a higher `step` (e.g. to the provincial
    department once a report is 30 days overdue); each step is its own row.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,  # notification_unread_idx starts with the recipient
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
        _("escalation step"), default=0, help_text=_("0 = first notice; each escalation adds 1.")
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
        ]
        constraints = [
            # the daily sweep may run twice (a retry, a second worker): one notice per
            # recipient, rule, record, due date, escalation step and channel
            models.UniqueConstraint(
                fields=[
                    "recipient",
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
