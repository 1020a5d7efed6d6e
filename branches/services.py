"""Writes about branch offices: postings (with the staffing-gap confirmation), service
records, contracts and care visits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.policy import Action, ensure_can
from core.audit import audit_context

from .models import BranchOffice, Posting
from .selectors import staffing_coverage

STAFFING_LOOKAHEAD_DAYS = 30
# the columns of a posting that decide on which days it counts toward a branch's staff
STAFFING_FIELDS = (
    "branch_id",
    "start_date",
    "end_date",
    "agreement_signed",
    "medical_passed",
    "licence_transferred",
)


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
def save_posting(*, actor: Any, posting: Posting, confirm_gap: bool = False) -> Posting:
    """Update a posting's checklist or dates (same checks as adding). A change that leaves a
    branch short of staff within the next 30 days where it was not before (unticking the
    dispatch checklist, a later start, another branch) needs `confirm_gap`, recorded in
    `gap_confirmed`, as ending a posting does."""
    ensure_can(actor, Action.CHANGE, posting)
    posting.full_clean()  # Posting.clean() refuses overlapping postings, on any database
    first_gap = gap_opened_by(posting)
    if first_gap is not None and not confirm_gap:
        message = change_gap_message(first_gap)
        raise StaffingGapError({"confirm_gap": ValidationError(message, code="staffing_gap")})
    if first_gap is not None:
        posting.gap_confirmed = True
    with audit_context(actor=actor):
        posting.save()
    # computed by PostgreSQL: the instance still holds the value from before the change
    posting.refresh_from_db(fields=["checklist_complete"])
    return posting


def change_gap_message(day: dt.date) -> str:
    return _(
        "Staffing gap: with this change the branch would be short of staff from %(day)s. "
        "Confirm to save it anyway."
    ) % {"day": day}


def gap_opened_by(posting: Posting) -> dt.date | None:
    """The first day of the next 30 on which a branch of the stored posting or of its
    changed version would be short of staff with the change and is not without it (None:
    the change opens no gap)."""
    if posting.pk is None:
        return None
    return gaps_opened_by([posting]).get(posting.pk)


def gaps_opened_by(postings: Sequence[Posting]) -> dict[int, dt.date]:
    """The staffing-gap rule for changes of stored postings, all at once (save_posting's
    one change, or an import's rows): for each changed posting that takes staff from a
    branch (its dispatch checklist unticked, a later start, an earlier end, another
    branch) where, with all the changes, the branch would be short of staff on a day of
    the next 30 and is not without them, the first such day, by posting id.

    The branches are locked first, as ending a posting locks them; the changes are tried
    in a savepoint that is rolled back (one bulk UPDATE, two coverage queries)."""
    candidates = [p for p in postings if p.pk is not None]
    if not candidates:
        return {}
    stored = {
        row.pk: row
        for row in Posting.objects.filter(pk__in=[p.pk for p in candidates]).only(
            *STAFFING_FIELDS, "checklist_complete"
        )
    }
    # only what changes who is posted when can change the staffing (a new kind cannot)
    changed = [
        p
        for p in candidates
        if p.pk in stored
        and any(getattr(p, f) != getattr(stored[p.pk], f) for f in STAFFING_FIELDS)
    ]
    if not changed:
        return {}
    ids = {p.branch_id for p in changed} | {stored[p.pk].branch_id for p in changed}
    branches = list(
        BranchOffice.objects.select_for_update().filter(pk__in=ids - {None}).order_by("pk")
    )
    start = timezone.localdate()
    end = start + dt.timedelta(days=STAFFING_LOOKAHEAD_DAYS)
    before = staffing_coverage(branches=branches, start=start, end=end)
    savepoint = transaction.savepoint()
    try:
        Posting.objects.bulk_update(changed, STAFFING_FIELDS)
        after = staffing_coverage(branches=branches, start=start, end=end)
    finally:
        transaction.savepoint_rollback(savepoint)
    opened = {
        pk: day
        for pk, coverage in after.items()
        if (day := min(set(coverage.gap_days) - set(before[pk].gap_days), default=None))
    }
    out: dict[int, dt.date] = {}
    for posting in changed:
        was = stored[posting.pk]
        days = [
            opened[branch_id]
            for branch_id in {was.branch_id, posting.branch_id}
            if branch_id in opened
            and _counted_days(was, branch_id, start, end, counted=bool(was.checklist_complete))
            - _counted_days(posting, branch_id, start, end, counted=_checklist_complete(posting))
        ]
        if days:
            out[posting.pk] = min(days)
    return out


def _checklist_complete(posting: Posting) -> bool:
    # the generated column of an instance being changed still holds the stored value
    return posting.agreement_signed and posting.medical_passed and posting.licence_transferred


def _counted_days(
    posting: Posting, branch_id: int, start: dt.date, end: dt.date, *, counted: bool
) -> set[dt.date]:
    """The days from `start` to `end` on which `posting` counts toward `branch_id`'s staff."""
    if not counted or posting.branch_id != branch_id:
        return set()
    first, last = max(posting.start_date, start), min(posting.end_date or end, end)
    return {first + dt.timedelta(days=i) for i in range((last - first).days + 1)}


def staffing_window_end(end_date: dt.date) -> dt.date:
    """The last day of the staffing look-ahead after a posting ends on `end_date`. A date
    so late that the look-ahead leaves the calendar (9999-12-31 + 30 days) is refused on
    `end_date`, whatever else validates it, rather than overflowing. (The day after the
    window must exist too: staffing_coverage steps one day past each posting's last.)"""
    try:
        end_date + dt.timedelta(days=STAFFING_LOOKAHEAD_DAYS + 1)
        return end_date + dt.timedelta(days=STAFFING_LOOKAHEAD_DAYS)
    except OverflowError as exc:
        latest = dt.date.max - dt.timedelta(days=STAFFING_LOOKAHEAD_DAYS + 1)
        raise ValidationError(
            {"end_date": _("End date: must be %(latest)s or earlier.") % {"latest": latest}}
        ) from exc


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
    window_end = staffing_window_end(end_date)
    if not reason.strip():
        raise ValidationError({"end_reason": _("Reason for ending: required.")})
    BranchOffice.objects.select_for_update().filter(pk=p.branch_id).first()
    old_end = p.end_date
    p.end_date, p.end_reason = end_date, reason.strip()
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
