"""Every write with programme meaning: secondments (跟班学习) and their quota seats, 1对1
firm pairings, goals and progress reports. Views, admin actions, the API and imports all
call these; none of them changes a state field directly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.policy import Action, allows, ensure_can
from core.audit import audit_context
from core.constraints import database_rules
from core.exceptions import ApplicationError

from .models import (
    OPEN_REPORT_STATUSES,
    FirmPairing,
    PairingAgreement,
    PairingGoal,
    PairingStatus,
    ProgressReport,
    Quota,
    ReportStatus,
    Secondment,
    SecondmentStatus,
    TrainingActivity,
)

if TYPE_CHECKING:
    from regions.models import Province

# --- agreements and quotas ------------------------------------------------------------------


@transaction.atomic
def save_agreement(*, actor: Any, agreement: PairingAgreement) -> PairingAgreement:
    """Create or update a province ⇄ province agreement (justice departments, ministry)."""
    ensure_can(actor, Action.CHANGE if agreement.pk else Action.ADD, agreement)
    agreement.full_clean()
    with audit_context(actor=actor):
        agreement.save()
    return agreement


@transaction.atomic
def save_quota(
    *,
    actor: Any,
    quota: Quota,
    host_provinces: Iterable[Province] | None = None,
    source_provinces: Iterable[Province] | None = None,
) -> Quota:
    """Create or update a quota with its host and source provinces (None: unchanged). The
    scope check runs once the provinces are set, since they are what places a quota; a
    quota never shrinks below the seats its secondments hold."""
    created = quota.pk is None
    if created and not allows(actor, Quota, Action.ADD):
        raise PermissionDenied(_("You do not have permission to do this."))
    if not created:
        ensure_can(actor, Action.CHANGE, Quota.objects.select_for_update().get(pk=quota.pk))
        ensure_seats_cover_bookings(quota=quota, taken=quota.seats_taken())
    quota.full_clean()
    with audit_context(actor=actor):
        quota.save()
        if host_provinces is not None:
            quota.host_provinces.set(host_provinces)
        if source_provinces is not None:
            quota.source_provinces.set(source_provinces)
    for name in ("host_provinces", "source_provinces"):
        if not getattr(quota, name).exists():
            raise ValidationError(
                {name: _("Provinces: a quota needs at least one host and one source province.")}
            )
    # (an error rolls the whole write back)
    ensure_can(actor, Action.ADD if created else Action.CHANGE, quota)
    return quota


def ensure_seats_cover_bookings(*, quota: Quota, taken: int) -> None:
    """A quota never shrinks below the `taken` seats its secondments hold (PostgreSQL
    holds the same rule: the `quota_seats_held` constraint trigger)."""
    if quota.seats is not None and quota.seats < taken:
        raise ValidationError(
            {"seats": _("Seats: %(taken)d are already booked.") % {"taken": taken}}
        )


# --- secondments -------------------------------------------------------------------------


@transaction.atomic
def book_secondment(*, actor: Any, secondment: Secondment) -> Secondment:
    """Plan a secondment on a quota seat. The quota row is locked, so two bookings of the
    last seat serialise: one succeeds, the other gets a clear error."""
    ensure_can(actor, Action.ADD, secondment)
    quota = Quota.objects.select_for_update().get(pk=secondment.quota_id)
    secondment.status = SecondmentStatus.PLANNED
    secondment.full_clean()  # Secondment.clean() checks the programme's rules
    ensure_free_seat(quota=quota, taken=quota.seats_taken())  # again, under the lock
    # the exclusion constraint or the seat trigger may still catch a race: their messages
    with audit_context(actor=actor), database_rules():
        secondment.save()
    return secondment


def ensure_free_seat(*, quota: Quota, taken: int) -> None:
    """The quota-seat rule, for one more secondment on `quota` when `taken` seats are held
    besides it (a booking, or a planned secondment moved onto the quota). Every path that
    books calls this; PostgreSQL holds the same rule (the `secondment_quota_seats`
    constraint trigger)."""
    if taken >= quota.seats:
        raise ValidationError(
            {"quota": _("Quota: all %(seats)d seats are taken.") % {"seats": quota.seats}}
        )


def ensure_secondment_changeable(stored: Secondment) -> None:
    """Only a planned secondment is changed by editing it; once it has started, only the
    actions (start, complete, cancel, evaluate) change it."""
    if stored.status != SecondmentStatus.PLANNED:
        raise ApplicationError(
            _("Status: only a planned secondment can be changed."), code="invalid_state"
        )


@transaction.atomic
def change_secondment(*, actor: Any, secondment: Secondment) -> Secondment:
    """Change a planned secondment (dates, host firm, mentor, quota): every booking rule
    again, under the quota's lock. Once it has started, only the actions change it."""
    stored = Secondment.objects.select_for_update().get(pk=secondment.pk)
    ensure_can(actor, Action.CHANGE, stored)
    ensure_can(actor, Action.CHANGE, secondment)
    ensure_secondment_changeable(stored)
    if secondment.trainee_id != stored.trainee_id:
        raise ValidationError({"trainee": _("Trainee: cannot be changed once booked.")})
    Quota.objects.select_for_update().get(pk=secondment.quota_id)
    secondment.status = stored.status
    secondment.full_clean()  # Secondment.clean() counts the seats, now under the lock
    with audit_context(actor=actor), database_rules():
        secondment.save(
            update_fields=["host_firm", "mentor", "quota", "start_date", "end_date", "updated_at"]
        )
    return secondment


def _transition(
    obj: Any,
    *,
    states: type[models.TextChoices],
    allowed: set[str],
    target: str,
    actor: Any,
    fields: dict[str, Any],
) -> Any:
    """Move a row (secondment, report) from one of `allowed` states to `target` under a row
    lock, with the scope check, full validation and the audit actor."""
    row = type(obj).objects.select_for_update().get(pk=obj.pk)
    ensure_can(actor, Action.CHANGE, row)
    if row.status not in allowed:
        raise ApplicationError(
            _("Status: cannot go from %(from)s to %(to)s.")
            % {"from": row.get_status_display(), "to": states(target).label},
            code="invalid_transition",
        )
    row.status = target
    for k, v in fields.items():
        setattr(row, k, v)
    row.full_clean()
    with audit_context(actor=actor):
        row.save(update_fields=["status", *fields, "updated_at"])
    return row


@transaction.atomic
def start_secondment(*, actor: Any, secondment: Secondment, today: dt.date) -> Secondment:
    if secondment.start_date > today:
        raise ApplicationError(_("Start date: the secondment has not begun yet."), code="too_early")
    return _transition(
        secondment,
        states=SecondmentStatus,
        allowed={SecondmentStatus.PLANNED},
        target=SecondmentStatus.ACTIVE,
        actor=actor,
        fields={},
    )


@transaction.atomic
def complete_secondment(*, actor: Any, secondment: Secondment, today: dt.date) -> Secondment:
    if secondment.end_date > today:
        raise ApplicationError(_("End date: the secondment has not ended yet."), code="too_early")
    return _transition(
        secondment,
        states=SecondmentStatus,
        allowed={SecondmentStatus.ACTIVE},
        target=SecondmentStatus.COMPLETED,
        actor=actor,
        fields={},
    )


@transaction.atomic
def cancel_secondment(*, actor: Any, secondment: Secondment, reason: str) -> Secondment:
    if not reason.strip():
        raise ValidationError({"cancel_reason": _("Cancellation reason: required to cancel.")})
    return _transition(
        secondment,
        states=SecondmentStatus,
        allowed={SecondmentStatus.PLANNED, SecondmentStatus.ACTIVE},
        target=SecondmentStatus.CANCELLED,
        actor=actor,
        fields={"cancel_reason": reason.strip()},
    )


@transaction.atomic
def record_activity(*, actor: Any, activity: TrainingActivity) -> TrainingActivity:
    s = activity.secondment
    ensure_can(actor, Action.CHANGE, s)
    if not s.start_date <= activity.held_on <= s.end_date:
        raise ValidationError({"held_on": _("Date: must fall within the secondment.")})
    activity.full_clean()
    with audit_context(actor=actor):
        activity.save()
    return activity


@transaction.atomic
def evaluate_secondment(
    *, actor: Any, secondment: Secondment, grade: str, comment: str, today: dt.date
) -> Secondment:
    """The mentor's evaluation, once the secondment is under way or over."""
    s = Secondment.objects.select_for_update().get(pk=secondment.pk)
    ensure_can(actor, Action.CHANGE, s)
    if s.status not in (SecondmentStatus.ACTIVE, SecondmentStatus.COMPLETED):
        raise ApplicationError(
            _("Evaluation: only an active or completed secondment."), code="invalid_state"
        )
    s.evaluation_grade, s.evaluation_comment, s.evaluated_on = grade, comment, today
    s.full_clean()
    with audit_context(actor=actor):
        s.save(
            update_fields=["evaluation_grade", "evaluation_comment", "evaluated_on", "updated_at"]
        )
    return s


@transaction.atomic
def sign_off_secondment(*, actor: Any, secondment: Secondment, today: dt.date) -> Secondment:
    """The home bar association's sign-off, after completion and evaluation."""
    s = Secondment.objects.select_for_update().get(pk=secondment.pk)
    ensure_can(actor, Action.CHANGE, s)
    if s.status != SecondmentStatus.COMPLETED or not s.evaluation_grade:
        raise ApplicationError(
            _("Sign-off: the secondment must be completed and evaluated first."),
            code="invalid_state",
        )
    s.bar_signed_off_on = today
    with audit_context(actor=actor):
        s.save(update_fields=["bar_signed_off_on", "updated_at"])
    return s


# --- firm pairings -------------------------------------------------------------------------


@transaction.atomic
def propose_pairing(*, actor: Any, pairing: FirmPairing) -> FirmPairing:
    ensure_can(actor, Action.ADD, pairing)
    pairing.status = PairingStatus.PROPOSED
    pairing.full_clean()  # FirmPairing.clean() checks provinces against the agreement
    with audit_context(actor=actor):
        pairing.save()
    return pairing


@transaction.atomic
def activate_pairing(*, actor: Any, pairing: FirmPairing) -> FirmPairing:
    """1对1: activation fails with a clear message when either firm is already active on
    that side (the partial unique constraints hold the line under concurrency)."""
    p = FirmPairing.objects.select_for_update().get(pk=pairing.pk)
    ensure_can(actor, Action.CHANGE, p)
    if p.status != PairingStatus.PROPOSED:
        raise ApplicationError(
            _("Status: only a proposed pairing can be activated."), code="invalid_transition"
        )
    p.status = PairingStatus.ACTIVE
    p.full_clean()  # validate_constraints reports the 1对1 conflicts by field
    with audit_context(actor=actor):
        try:
            with transaction.atomic():
                p.save(update_fields=["status", "updated_at"])
        except IntegrityError as exc:
            raise ValidationError(_("This firm is already in an active pairing.")) from exc
    return p


@transaction.atomic
def change_pairing(*, actor: Any, pairing: FirmPairing) -> FirmPairing:
    """Change an open pairing's terms (mode, focus areas, term). The firms and the
    agreement are fixed once proposed; the status moves only through the actions."""
    stored = FirmPairing.objects.select_for_update().get(pk=pairing.pk)
    ensure_can(actor, Action.CHANGE, pairing)
    ensure_pairing_changeable(stored, pairing)
    pairing.status = stored.status
    pairing.full_clean()
    with audit_context(actor=actor):
        pairing.save(update_fields=["mode", "focus_areas", "term_start", "term_end", "updated_at"])
    return pairing


def ensure_pairing_changeable(stored: FirmPairing, pairing: FirmPairing) -> None:
    """An open (proposed or active) pairing's terms may change; its firms and agreement
    are fixed once proposed, and a closed pairing is kept as it closed."""
    if stored.status not in (PairingStatus.PROPOSED, PairingStatus.ACTIVE):
        raise ApplicationError(
            _("Status: this pairing is already closed."), code="invalid_transition"
        )
    fixed = [
        name
        for name in ("helper_firm_id", "recipient_firm_id", "agreement_id")
        if getattr(pairing, name) != getattr(stored, name)
    ]
    if fixed:
        raise ValidationError(
            {n.removesuffix("_id"): _("Cannot be changed once the record exists.") for n in fixed}
        )


@transaction.atomic
def save_pairing_goal(*, actor: Any, goal: PairingGoal) -> PairingGoal:
    """Create or update a goal of a pairing (its due date, or the day it was achieved)."""
    ensure_can(actor, Action.CHANGE if goal.pk else Action.ADD, goal)
    goal.full_clean()
    with audit_context(actor=actor):
        goal.save()
    return goal


def _close_pairing(
    pairing: FirmPairing, *, actor: Any, target: str, today: dt.date, reason: str = ""
) -> FirmPairing:
    p = FirmPairing.objects.select_for_update().get(pk=pairing.pk)
    ensure_can(actor, Action.CHANGE, p)
    if p.status not in (PairingStatus.PROPOSED, PairingStatus.ACTIVE):
        raise ApplicationError(
            _("Status: this pairing is already closed."), code="invalid_transition"
        )
    p.status, p.ended_on, p.dissolve_reason = target, today, reason
    p.full_clean()
    with audit_context(actor=actor):
        p.save(update_fields=["status", "ended_on", "dissolve_reason", "updated_at"])
    return p


@transaction.atomic
def end_pairing(*, actor: Any, pairing: FirmPairing, today: dt.date) -> FirmPairing:
    return _close_pairing(pairing, actor=actor, target=PairingStatus.ENDED, today=today)


@transaction.atomic
def dissolve_pairing(
    *, actor: Any, pairing: FirmPairing, reason: str, today: dt.date
) -> FirmPairing:
    if not reason.strip():
        raise ValidationError({"dissolve_reason": _("Reason for dissolving: required.")})
    return _close_pairing(
        pairing, actor=actor, target=PairingStatus.DISSOLVED, today=today, reason=reason.strip()
    )


# --- progress reports ------------------------------------------------------------------------


@transaction.atomic
def save_report_draft(*, actor: Any, report: ProgressReport) -> ProgressReport:
    if report.pk and ProgressReport.objects.get(pk=report.pk).status not in OPEN_REPORT_STATUSES:
        raise ApplicationError(
            _("Status: a submitted report cannot be edited."), code="invalid_state"
        )
    ensure_can(actor, Action.CHANGE if report.pk else Action.ADD, report)
    report.full_clean()
    with audit_context(actor=actor):
        report.save()
    return report


@transaction.atomic
def submit_report(*, actor: Any, report: ProgressReport) -> ProgressReport:
    if not (report.narrative or "").strip():
        raise ValidationError({"narrative": _("Narrative: required to submit.")})
    return _transition(
        report,
        states=ReportStatus,
        actor=actor,
        allowed=set(OPEN_REPORT_STATUSES),
        target=ReportStatus.SUBMITTED,
        fields={"submitted_at": timezone.now(), "submitted_by": actor, "return_reason": ""},
    )


@transaction.atomic
def accept_report(*, actor: Any, report: ProgressReport) -> ProgressReport:
    return _transition(
        report,
        states=ReportStatus,
        actor=actor,
        allowed={ReportStatus.SUBMITTED},
        target=ReportStatus.ACCEPTED,
        fields={"reviewed_at": timezone.now(), "reviewed_by": actor},
    )


@transaction.atomic
def return_report(*, actor: Any, report: ProgressReport, reason: str) -> ProgressReport:
    if not reason.strip():
        raise ValidationError(
            {"return_reason": _("Reason for returning: required to return a report.")}
        )
    return _transition(
        report,
        states=ReportStatus,
        actor=actor,
        allowed={ReportStatus.SUBMITTED},
        target=ReportStatus.RETURNED,
        fields={
            "reviewed_at": timezone.now(),
            "reviewed_by": actor,
            "return_reason": reason.strip(),
        },
    )
