"""Postings to branch offices: no double posting, staffing counts only complete
checklists, and a staffing gap must be confirmed before it happens."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from branches.models import Posting, PostingKind
from branches.selectors import staffing_coverage
from branches.services import StaffingGapError, add_posting, end_posting, save_posting
from tests.factories import BranchOfficeFactory, LawyerFactory, PostingFactory


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def ministry(users):
    return users["ministry"]


def new_posting(lawyer, branch, start, end=None, **kwargs) -> Posting:
    return Posting(
        lawyer=lawyer,
        branch=branch,
        kind=PostingKind.ROTATION,
        start_date=start,
        end_date=end,
        agreement_signed=True,
        medical_passed=True,
        licence_transferred=True,
        **kwargs,
    )


def test_a_lawyer_cannot_be_posted_to_two_branches_at_once(ministry, regions):
    first = PostingFactory(start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 6, 30))
    other_branch = BranchOfficeFactory()
    with pytest.raises(ValidationError) as info:
        add_posting(
            actor=ministry,
            posting=new_posting(first.lawyer, other_branch, dt.date(2026, 6, 30)),
        )
    # full_clean's exclusion-constraint check or the service's own check: both say why
    assert any("already posted elsewhere" in m for m in info.value.messages)
    assert Posting.objects.filter(lawyer=first.lawyer).count() == 1
    # the next day is free
    add_posting(
        actor=ministry, posting=new_posting(first.lawyer, other_branch, dt.date(2026, 7, 1))
    )
    assert Posting.objects.filter(lawyer=first.lawyer).count() == 2


def test_an_open_ended_posting_is_added_through_the_service(ministry, regions):
    posting = add_posting(
        actor=ministry,
        posting=new_posting(LawyerFactory(), BranchOfficeFactory(), dt.date(2026, 1, 1)),
    )
    posting.refresh_from_db()
    assert posting.end_date is None
    assert posting.checklist_complete is True


def test_an_open_ended_posting_blocks_every_later_date(ministry, regions):
    first = PostingFactory(start_date=dt.date(2026, 1, 1), end_date=None)
    with pytest.raises(ValidationError):
        add_posting(
            actor=ministry,
            posting=new_posting(first.lawyer, BranchOfficeFactory(), dt.date(2030, 1, 1)),
        )
    assert Posting.objects.count() == 1


def test_raw_overlapping_postings_violate_the_exclusion_constraint(regions):
    first = PostingFactory(start_date=dt.date(2026, 1, 1), end_date=None)
    clash = new_posting(
        first.lawyer, BranchOfficeFactory(), dt.date(2027, 1, 1), dt.date(2027, 3, 1)
    )
    with pytest.raises(IntegrityError, match="posting_no_overlap_per_lawyer"), transaction.atomic():
        Posting.objects.bulk_create([clash])
    assert Posting.objects.count() == 1


def test_raw_bulk_create_of_two_overlapping_postings_saves_nothing(regions):
    lawyer = LawyerFactory()
    a, b = BranchOfficeFactory(), BranchOfficeFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Posting.objects.bulk_create(
            [
                new_posting(lawyer, a, dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
                new_posting(lawyer, b, dt.date(2026, 3, 31), dt.date(2026, 5, 31)),
            ]
        )
    assert not Posting.objects.exists()


@pytest.mark.parametrize(
    "missing", ["agreement_signed", "medical_passed", "licence_transferred", None]
)
def test_a_posting_counts_toward_staffing_only_with_a_complete_checklist(regions, missing):
    flags = {"agreement_signed": True, "medical_passed": True, "licence_transferred": True}
    if missing:
        flags[missing] = False
    posting = PostingFactory(**flags)
    posting.refresh_from_db()
    assert posting.checklist_complete is (missing is None)
    coverage = staffing_coverage(
        branches=[posting.branch], start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 10)
    )[posting.branch_id]
    expected = 0 if missing else 1
    assert set(coverage.staffed.values()) == {expected}
    assert (coverage.first_gap is None) is (missing is None)


def test_staffing_coverage_counts_lawyers_per_day(regions):
    branch = BranchOfficeFactory(minimum_staff=2)
    PostingFactory(branch=branch, start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 3, 5))
    PostingFactory(branch=branch, start_date=dt.date(2026, 3, 3), end_date=None)
    coverage = staffing_coverage(
        branches=[branch], start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 7)
    )[branch.pk]
    assert [coverage.staffed[dt.date(2026, 3, d)] for d in range(1, 8)] == [1, 1, 2, 2, 2, 1, 1]
    assert coverage.gap_days == [
        dt.date(2026, 3, 1),
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 6),
        dt.date(2026, 3, 7),
    ]


def test_ending_the_last_posting_needs_confirmation(ministry, regions):
    posting = PostingFactory(start_date=dt.date(2026, 1, 1))
    with pytest.raises(StaffingGapError) as info:
        end_posting(
            actor=ministry, posting=posting, end_date=dt.date(2026, 6, 30), reason="轮换结束"
        )
    assert info.value.error_dict["end_date"][0].code == "staffing_gap"
    assert "2026-07-01" in info.value.message_dict["end_date"][0]
    posting.refresh_from_db()
    assert (posting.end_date, posting.end_reason, posting.gap_confirmed) == (None, "", False)

    ended = end_posting(
        actor=ministry,
        posting=posting,
        end_date=dt.date(2026, 6, 30),
        reason="轮换结束",
        confirm_gap=True,
    )
    ended.refresh_from_db()
    assert ended.end_date == dt.date(2026, 6, 30)
    assert ended.gap_confirmed is True


def test_ending_a_posting_with_a_successor_needs_no_confirmation(ministry, regions):
    posting = PostingFactory(start_date=dt.date(2026, 1, 1))
    PostingFactory(branch=posting.branch, start_date=dt.date(2026, 6, 15))
    ended = end_posting(
        actor=ministry, posting=posting, end_date=dt.date(2026, 6, 30), reason="轮换结束"
    )
    ended.refresh_from_db()
    assert ended.end_date == dt.date(2026, 6, 30)
    assert ended.gap_confirmed is False


def test_a_successor_starting_after_30_days_is_too_late(ministry, regions):
    posting = PostingFactory(start_date=dt.date(2026, 1, 1))
    PostingFactory(branch=posting.branch, start_date=dt.date(2026, 7, 15))
    with pytest.raises(StaffingGapError):
        end_posting(
            actor=ministry, posting=posting, end_date=dt.date(2026, 6, 30), reason="轮换结束"
        )


# --- changing a posting (save_posting): a change that opens a gap needs confirmation too ----
TODAY = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@time_machine.travel(TODAY, tick=False)
def test_unticking_the_checklist_of_the_only_lawyer_needs_confirmation(ministry, regions):
    posting = PostingFactory(start_date=dt.date(2026, 1, 1))  # the branch's only lawyer
    posting.licence_transferred = False

    with pytest.raises(StaffingGapError) as info:
        save_posting(actor=ministry, posting=posting)

    assert info.value.error_dict["confirm_gap"][0].code == "staffing_gap"
    assert "2026-11-27" in info.value.message_dict["confirm_gap"][0]  # short from today
    stored = Posting.objects.get(pk=posting.pk)
    assert (stored.licence_transferred, stored.checklist_complete) == (True, True)
    assert stored.gap_confirmed is False

    save_posting(actor=ministry, posting=posting, confirm_gap=True)
    stored.refresh_from_db()
    assert (stored.checklist_complete, stored.gap_confirmed) == (False, True)


@time_machine.travel(TODAY, tick=False)
def test_a_later_start_that_leaves_days_unstaffed_needs_confirmation(ministry, regions):
    posting = PostingFactory(start_date=dt.date(2026, 11, 1))
    posting.start_date = dt.date(2026, 12, 10)

    with pytest.raises(StaffingGapError) as info:
        save_posting(actor=ministry, posting=posting)

    assert "2026-11-27" in info.value.message_dict["confirm_gap"][0]
    assert Posting.objects.get(pk=posting.pk).start_date == dt.date(2026, 11, 1)


@time_machine.travel(TODAY, tick=False)
def test_changes_that_open_no_new_gap_need_no_confirmation(ministry, regions):
    posting = PostingFactory(start_date=dt.date(2026, 1, 1))
    PostingFactory(branch=posting.branch, start_date=dt.date(2026, 1, 1))  # a second lawyer
    posting.medical_passed = False
    save_posting(actor=ministry, posting=posting)  # the other lawyer keeps it staffed

    # a branch already short stays short: no new gap day, nothing to confirm
    lone = PostingFactory(start_date=dt.date(2026, 1, 1), agreement_signed=False)
    lone.kind = PostingKind.RESIDENT if lone.kind != PostingKind.RESIDENT else PostingKind.ROTATION
    save_posting(actor=ministry, posting=lone)

    assert Posting.objects.get(pk=posting.pk).gap_confirmed is False
    assert Posting.objects.get(pk=lone.pk).gap_confirmed is False
