"""A posting import that opens a staffing gap needs the explicit confirmation the API and
the admin ask for (issue 22 §1): the preview lists the row, the import applies it only
when the clerk confirms, and records the confirmation in `gap_confirmed`."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.import_records import create_import_record, process_import_record
from accounts.imports import run_import
from branches.models import Posting
from branches.resources import PostingResource
from core.models import ImportMode, ImportRecord, ImportStatus
from tests.factories import BranchOfficeFactory, LawyerFactory, PostingFactory, province

from .files import csv_bytes, table

TODAY = dt.datetime(2026, 6, 10, 9, 0, tzinfo=dt.UTC)
HEADERS = [
    "律师执业证号",
    "分所统一社会信用代码",
    "开始日期",
    "已签派驻协议",
    "体检合格",
    "已转执业证",
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(TODAY, tick=False):
        yield


def only_posting_of_a_branch_at_its_minimum() -> Posting:
    branch = BranchOfficeFactory(minimum_staff=1)
    return PostingFactory(branch=branch, lawyer=LawyerFactory(province=province("54")))


def unticking(posting: Posting, *, agreement: str = "否") -> list[str]:
    return [
        posting.lawyer.current_licence_no,
        posting.branch.credit_code,
        posting.start_date.isoformat(),
        agreement,
        "是",
        "是",
    ]


def upload(user, rows) -> ImportRecord:
    record = create_import_record(
        user=user,
        resource_class=PostingResource,
        upload=io.BytesIO(csv_bytes(HEADERS, rows, "utf-8")),
        file_name="派驻.csv",
        mode=ImportMode.UPDATE,
    )
    return process_import_record(record_id=record.pk, apply=False)


GAP_MESSAGE = "人员缺口：此修改将使分所自 2026-06-10 起人员不足。如仍要保存，请确认。"


def test_the_preview_lists_a_row_that_opens_a_gap_and_applying_without_confirmation_refuses_it(
    users,
):
    posting = only_posting_of_a_branch_at_its_minimum()

    previewed = upload(users["xizang_dept"], [unticking(posting)])
    applied = process_import_record(record_id=previewed.pk, apply=True)

    assert previewed.status == ImportStatus.PREVIEWED
    assert previewed.confirmations == [{"row": 2, "column": "", "message": GAP_MESSAGE}]
    assert applied.status == ImportStatus.FAILED
    assert applied.errors == [{"row": 2, "column": "", "message": GAP_MESSAGE}]
    assert applied.confirmed_at is None
    posting.refresh_from_db()
    assert (posting.agreement_signed, posting.checklist_complete, posting.gap_confirmed) == (
        True,
        True,
        False,
    )


def test_a_confirmed_row_is_applied_and_the_confirmation_recorded(users):
    posting = only_posting_of_a_branch_at_its_minimum()

    previewed = upload(users["xizang_dept"], [unticking(posting)])
    applied = process_import_record(record_id=previewed.pk, apply=True, confirm=True)

    assert (applied.status, applied.errors, applied.rows_updated) == (ImportStatus.SUCCEEDED, [], 1)
    assert applied.confirmed_at == TODAY
    posting.refresh_from_db()
    assert (posting.agreement_signed, posting.checklist_complete, posting.gap_confirmed) == (
        False,
        False,
        True,
    )


def test_rows_that_open_a_gap_only_together_both_need_confirmation(users):
    """A branch needs 2 and has 2; a third posting gains its checklist. Each unticking row
    alone leaves 2 counted lawyers; together they leave 1: the rule is checked on the
    file's changes together, as the service checks one change, and only the rows that take
    staff away need the confirmation."""
    branch = BranchOfficeFactory(minimum_staff=2)
    first, second = (
        PostingFactory(branch=branch, lawyer=LawyerFactory(province=province("54")))
        for _ in range(2)
    )
    ticking = PostingFactory(  # gains its checklist: adds staff, needs nothing
        branch=branch, lawyer=LawyerFactory(province=province("54")), licence_transferred=False
    )

    outcome = run_import(
        user=users["xizang_dept"],
        resource_class=PostingResource,
        table=table(
            HEADERS, [unticking(first), unticking(ticking, agreement="是"), unticking(second)]
        ),
        dry_run=False,
    )

    assert [(c["row"], c["message"]) for c in outcome.confirmations] == [
        (2, GAP_MESSAGE),
        (4, GAP_MESSAGE),
    ]
    # not confirmed: the file is refused, nothing is written
    assert [e["row"] for e in outcome.errors] == [2, 4]
    assert set(Posting.objects.filter(branch=branch, checklist_complete=True)) == {first, second}


def test_a_row_that_opens_no_gap_needs_no_confirmation(users):
    branch = BranchOfficeFactory(minimum_staff=1)
    kept, unticked = (
        PostingFactory(branch=branch, lawyer=LawyerFactory(province=province("54")))
        for _ in range(2)
    )

    outcome = run_import(
        user=users["xizang_dept"],
        resource_class=PostingResource,
        table=table(HEADERS, [unticking(unticked)]),
        dry_run=False,
    )

    assert (outcome.errors, outcome.confirmations, outcome.updated) == ([], [], 1)
    unticked.refresh_from_db()
    assert (unticked.checklist_complete, unticked.gap_confirmed) == (False, False)
    assert kept.branch.postings.filter(checklist_complete=True).count() == 1


def test_the_admin_import_asks_for_the_confirmation_and_records_it(client, users):
    posting = only_posting_of_a_branch_at_its_minimum()
    client.force_login(users["xizang_dept"])

    uploaded = client.post(
        reverse("admin:branches_posting_import"),
        {
            "file": SimpleUploadedFile(
                "派驻.csv", csv_bytes(HEADERS, [unticking(posting)], "utf-8")
            ),
            "mode": ImportMode.UPDATE,
        },
    )
    status_url = uploaded.url
    page = client.get(status_url).content.decode()
    unconfirmed = client.post(status_url, follow=True)
    record = ImportRecord.objects.get()
    posting.refresh_from_db()
    still_previewed = (record.status, posting.checklist_complete)
    confirmed = client.post(status_url, {"confirm_rows": "on"}, follow=True)

    assert 'id="import-confirmations"' in page
    assert GAP_MESSAGE in page
    assert 'name="confirm_rows"' in page
    assert "需要您确认" in unconfirmed.content.decode()
    assert still_previewed == (ImportStatus.PREVIEWED, True)
    record.refresh_from_db()
    assert record.status == ImportStatus.SUCCEEDED
    assert record.confirmed_at == TODAY
    assert 'id="import-confirmed"' in confirmed.content.decode()
    posting.refresh_from_db()
    assert (posting.checklist_complete, posting.gap_confirmed) == (False, True)
