"""Imports whose worker stopped mid-way (killed, restarted) are marked failed, not left
"running" for good: a running import is never started twice, so without the reaper an
apply redelivered to another worker would stay running."""

from __future__ import annotations

import datetime as dt
import io
import time

import pytest
import time_machine
from django.conf import settings as django_settings
from django.utils import timezone

from accounts.import_records import (
    create_import_record,
    process_import_record,
    reap_interrupted_imports,
)
from accounts.tasks import reap_interrupted_imports as reap_task
from config.celery import app
from core.models import ImportRecord, ImportStatus
from firms.models import LawFirm
from firms.resources import LawFirmResource
from tests.factories import credit_code

from .files import xlsx

HEADERS = ["统一社会信用代码", "名称", "省份"]
NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)


def record_of(
    user, status: str, started_minutes_ago: int | None, *, now: dt.datetime = NOW
) -> ImportRecord:
    rows = [[credit_code("430000", 1), "湖南中断所", "43"]]
    record = create_import_record(
        user=user,
        resource_class=LawFirmResource,
        upload=io.BytesIO(xlsx(HEADERS, rows)),
        file_name="中断.xlsx",
    )
    started = (
        None if started_minutes_ago is None else now - dt.timedelta(minutes=started_minutes_ago)
    )
    ImportRecord.objects.filter(pk=record.pk).update(status=status, started_at=started)
    return ImportRecord.objects.get(pk=record.pk)


@time_machine.travel(NOW, tick=False)
def test_only_imports_started_longer_ago_than_any_task_can_run_are_failed(
    users, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    stale = settings.IMPORT_STALE_MINUTES
    assert stale * 60 > settings.CELERY_TASK_TIME_LIMIT  # no live task is ever reaped
    user = users["ministry"]
    running_dead = record_of(user, ImportStatus.RUNNING, stale + 1)
    preview_dead = record_of(user, ImportStatus.PENDING, stale + 1)
    running_live = record_of(user, ImportStatus.RUNNING, stale - 1)
    queued = record_of(user, ImportStatus.PENDING, None)  # not started yet
    previewed = record_of(user, ImportStatus.PREVIEWED, stale + 60)
    succeeded = record_of(user, ImportStatus.SUCCEEDED, stale + 60)

    assert reap_interrupted_imports(now=timezone.now()) == 2

    for record in (running_dead, preview_dead):
        record.refresh_from_db()
        assert record.status == ImportStatus.FAILED
        assert record.finished_at == NOW
        assert record.progress == 100
        assert record.errors == [
            {
                "row": 0,
                "column": "",
                "message": "导入已中断（后台处理进程停止），未保存任何数据。请重新上传文件。",
            }
        ]
    for record, status in (
        (running_live, ImportStatus.RUNNING),
        (queued, ImportStatus.PENDING),
        (previewed, ImportStatus.PREVIEWED),
        (succeeded, ImportStatus.SUCCEEDED),
    ):
        record.refresh_from_db()
        assert record.status == status
        assert record.errors == []
    assert reap_interrupted_imports(now=timezone.now()) == 0  # once


@time_machine.travel(NOW, tick=False)
def test_a_redelivered_apply_leaves_a_running_import_alone_until_it_is_reaped(
    users, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    record = record_of(users["ministry"], ImportStatus.RUNNING, settings.IMPORT_STALE_MINUTES + 5)

    again = process_import_record(record_id=record.pk, apply=True)  # the redelivered task

    assert again.status == ImportStatus.RUNNING
    assert not LawFirm.objects.filter(name="湖南中断所").exists()
    reap_interrupted_imports(now=timezone.now())
    assert ImportRecord.objects.get(pk=record.pk).status == ImportStatus.FAILED


def test_beat_runs_the_reaper_every_few_minutes():
    entry = django_settings.CELERY_BEAT_SCHEDULE["reap-interrupted-imports"]
    assert entry["task"] == reap_task.name
    assert entry["task"] in app.tasks
    assert entry["options"]["expires"] < 5 * 60


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_reaps(celery_worker, settings, tmp_path):
    from accounts.models import User

    settings.MEDIA_ROOT = tmp_path
    user = User.objects.create_user("reaper-root", is_superuser=True, is_staff=True)
    record = record_of(
        user,
        ImportStatus.RUNNING,
        settings.IMPORT_STALE_MINUTES + 1,
        now=timezone.now(),
    )

    reap_task.delay()

    deadline = time.monotonic() + 60
    while ImportRecord.objects.get(pk=record.pk).status != ImportStatus.FAILED:
        assert time.monotonic() < deadline, "not reaped by the worker"
        time.sleep(0.2)
