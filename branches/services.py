"""Writes about branch offices: postings (with the staffing-gap confirmation), service
records, contracts and care visits."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from accounts.policy import Action, ensure_can
from core.audit import audit_context

from .models import BranchOffice, Posting
from .selectors import staffing_coverage

STAFFING_LOOKAHEAD_DAYS = 30


@transaction.atomic
def add_posting(*, actor: Any, posting: Posting) -> Posting:
    """Post a lawyer to a branch; never to two branches at once."""
    ensure_can(actor, Action.ADD, posting)
    posting.full_clean()  # Posting.clean() refuses overlapping postings, on any database
    with audit_context(actor=actor):
        try:
            with transaction.atomic():
                posting.save()
        except IntegrityError as exc:
            raise ValidationError(
                {"start_date": _("Dates: this lawyer is already posted elsewhere then.")}
            ) from exc
    return posting


@transaction.atomic
def save_posting(*, actor: Any, posting: Posting) -> Posting:
    """Update a posting's checklist or dates (same checks as adding)."""
    ensure_can(actor, Action.CHANGE, posting)
    posting.full_clean()  # Posting.clean() refuses overlapping postings, on any database
    with audit_context(actor=actor):
        posting.save()
    return posting


class StaffingGapError(ValidationError):
    """Ending this posting would leave the branch below its minimum staff."""


@transaction.atomic
def end_posting(
    *, actor: Any, posting: Posting, end_date: dt.date, reason: str, confirm_gap: bool = False
) -> Posting:
    """End a posting. If that leaves the branch below its minimum staff within the next
    30 days, the caller must confirm explicitly; the confirmation is recorded."""
    p = Posting.objects.select_for_update().select_related("branch").get(pk=posting.pk)
    ensure_can(actor, Action.CHANGE, p)
    if end_date < p.start_date:
        raise ValidationError({"end_date": _("End date: must not be before the start date.")})
    if not reason.strip():
        raise ValidationError({"end_reason": _("Reason for ending: required.")})
    BranchOffice.objects.select_for_update().filter(pk=p.branch_id).first()
    old_end = p.end_date
    p.end_date, p.end_reason = end_date, reason.strip()
    window_end = end_date + dt.timedelta(days=STAFFING_LOOKAHEAD_DAYS)
    with audit_context(actor=actor):
        p.save(update_fields=["end_date", "end_reason", "updated_at"])
        coverage = staffing_coverage(
            branches=[p.branch], start=end_date + dt.timedelta(days=1), end=window_end
        )[p.branch_id]
        creates_gap = bool(coverage.gap_days) and p.checklist_complete
        if creates_gap and not confirm_gap:
            p.end_date = old_end
            # the code goes on the field's error: ValidationError ignores `code` for a dict
            message = _(
                "End date: the branch would be short of staff from %(day)s. "
                "Confirm to end the posting anyway."
            ) % {"day": coverage.first_gap}
            raise StaffingGapError({"end_date": ValidationError(message, code="staffing_gap")})
        if creates_gap:
            p.gap_confirmed = True
            p.save(update_fields=["gap_confirmed", "updated_at"])
    return p


@transaction.atomic
def save_branch_record(*, actor: Any, record: models.Model) -> models.Model:
    """Create or update a branch's service record, support contract or care visit."""
    ensure_can(actor, Action.CHANGE if record.pk else Action.ADD, record)
    record.full_clean()
    with audit_context(actor=actor):
        record.save()
    return record


@transaction.atomic
def save_branch_office(*, actor: Any, branch: BranchOffice) -> BranchOffice:
    """Register a branch office or change its details (the parent firm's or the host
    county's province must be the actor's)."""
    ensure_can(actor, Action.CHANGE if branch.pk else Action.ADD, branch)
    branch.full_clean()
    with audit_context(actor=actor):
        branch.save()
    return branch
