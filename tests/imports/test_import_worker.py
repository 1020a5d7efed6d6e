"""Large files are previewed and applied by a real Celery worker, with progress."""

from __future__ import annotations

import io
import time

import pytest
from django.urls import reverse

from accounts.import_records import create_import_record, current_progress, start_import_step
from accounts.tasks import run_import_record
from core.models import ImportRecord, ImportStatus
from firms.models import LawFirm
from firms.resources import LawFirmResource
from tests.factories import credit_code

from .files import xlsx

HEADERS = ["统一社会信用代码", "名称", "省份"]
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
def test_a_large_file_is_previewed_and_applied_by_a_worker(celery_worker, settings, tmp_path):
    from accounts.policy import Role
    from regions.models import Province
    from tests.conftest import make_org, make_user

    settings.MEDIA_ROOT = tmp_path
    settings.IMPORT_SYNC_ROWS = 10
    user = make_user(
        "worker-hunan", make_org(Role.JUSTICE_DEPARTMENT, Province.objects.get(code="43"))
    )
    rows = [[credit_code("430000", i + 1), f"湖南后台导入所{i}", "湖南省"] for i in range(1200)]
    record = create_import_record(
        user=user,
        resource_class=LawFirmResource,
        upload=io.BytesIO(xlsx(HEADERS, rows)),
        file_name="大文件.xlsx",
    )

    start_import_step(record=record, apply=False)  # enqueued (no transaction: at once)
    previewed = wait_for(record.pk, {ImportStatus.PREVIEWED, ImportStatus.FAILED})

    assert previewed.status == ImportStatus.PREVIEWED, previewed.errors[:3]
    assert previewed.rows_created == 1200
    assert previewed.progress == 100
    assert not LawFirm.objects.filter(credit_code__startswith="31430000").exists()

    start_import_step(record=previewed, apply=True)
    done = wait_for(record.pk, {ImportStatus.SUCCEEDED, ImportStatus.FAILED})

    assert done.status == ImportStatus.SUCCEEDED, done.errors[:3]
    assert current_progress(done) == 100
    assert done.finished_at is not None
    assert LawFirm.objects.filter(credit_code__startswith="31430000").count() == 1200


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_the_task_is_idempotent_once_an_import_is_applied(celery_worker, settings, tmp_path):
    from accounts.models import User

    settings.MEDIA_ROOT = tmp_path
    user = User.objects.create_user("worker-root", is_superuser=True, is_staff=True)
    rows = [[credit_code("430000", i + 1), f"湖南所{i}", "43"] for i in range(3)]
    record = create_import_record(
        user=user,
        resource_class=LawFirmResource,
        upload=io.BytesIO(xlsx(HEADERS, rows)),
        file_name="小文件.xlsx",
    )
    start_import_step(record=record, apply=False)
    start_import_step(record=ImportRecord.objects.get(pk=record.pk), apply=True)

    result = run_import_record.delay(record.pk, True).get(timeout=TIMEOUT)

    assert result["status"] == ImportStatus.SUCCEEDED
    assert LawFirm.objects.filter(credit_code__startswith="31430000").count() == 3


def test_the_status_page_of_a_running_import_refreshes_itself(client, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.IMPORT_SYNC_ROWS = 1
    client.force_login(users["hunan_dept"])
    from django.core.files.uploadedfile import SimpleUploadedFile

    rows = [[credit_code("430000", i + 1), f"湖南所{i}", "43"] for i in range(3)]
    # within the test's transaction the task is never enqueued (on_commit): it stays pending
    response = client.post(
        reverse("admin:firms_lawfirm_import"),
        {"file": SimpleUploadedFile("a.xlsx", xlsx(HEADERS, rows)), "mode": "create_or_update"},
    )
    page = client.get(response.url).content.decode()

    assert 'http-equiv="refresh"' in page
    assert ImportRecord.objects.get().status == ImportStatus.PENDING
