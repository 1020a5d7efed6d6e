"""The staffing-gap confirmation of a posting import also travels through the Celery task
that previews and applies large files (`run_import_record(record_id, apply, confirm)`)."""

from __future__ import annotations

import io
import time

import pytest
from django.utils import timezone

from accounts.import_records import create_import_record, start_import_step
from branches.models import Posting
from branches.resources import PostingResource
from core.models import ImportMode, ImportRecord, ImportStatus
from tests.factories import BranchOfficeFactory, LawyerFactory, PostingFactory, province

from .files import csv_bytes

HEADERS = ["律师执业证号", "分所统一社会信用代码", "开始日期", "已签派驻协议"]
TIMEOUT = 60


def wait_for(record_id: int, statuses: set[str]) -> ImportRecord:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        record = ImportRecord.objects.get(pk=record_id)
        if record.status in statuses:
            return record
        time.sleep(0.2)
    raise AssertionError(f"import {record_id} still {record.status}")


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_applies_a_gap_row_only_with_the_confirmation(
    celery_worker, settings, tmp_path, users
):
    settings.MEDIA_ROOT = tmp_path
    settings.IMPORT_SYNC_ROWS = 0  # every file goes to the worker
    posting = PostingFactory(
        branch=BranchOfficeFactory(minimum_staff=1), lawyer=LawyerFactory(province=province("54"))
    )
    row = [posting.lawyer.current_licence_no, posting.branch.credit_code, "2026-01-01", "否"]

    def previewed_upload() -> ImportRecord:
        record = create_import_record(
            user=users["xizang_dept"],
            resource_class=PostingResource,
            upload=io.BytesIO(csv_bytes(HEADERS, [row], "utf-8")),
            file_name="派驻.csv",
            mode=ImportMode.UPDATE,
        )
        start_import_step(record=record, apply=False)
        return wait_for(record.pk, {ImportStatus.PREVIEWED, ImportStatus.FAILED})

    unconfirmed = previewed_upload()
    start_import_step(record=unconfirmed, apply=True)
    refused = wait_for(unconfirmed.pk, {ImportStatus.SUCCEEDED, ImportStatus.FAILED})
    confirmed = previewed_upload()
    start_import_step(record=confirmed, apply=True, confirm=True)
    applied = wait_for(confirmed.pk, {ImportStatus.SUCCEEDED, ImportStatus.FAILED})

    day = timezone.localdate().isoformat()
    assert [c["row"] for c in unconfirmed.confirmations] == [2]
    assert day in unconfirmed.confirmations[0]["message"]
    assert (refused.status, [e["row"] for e in refused.errors]) == (ImportStatus.FAILED, [2])
    assert (applied.status, applied.errors) == (ImportStatus.SUCCEEDED, [])
    assert applied.confirmed_at is not None
    stored = Posting.objects.get(pk=posting.pk)
    assert (stored.checklist_complete, stored.gap_confirmed) == (False, True)
