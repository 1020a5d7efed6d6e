"""The Celery app's configuration, and a real worker running a task end to end over the
real Redis broker (settings.test points it at its own Redis database)."""

from __future__ import annotations

import psycopg2
import pytest
from celery.fixups.django import DjangoFixup, DjangoWorkerFixup
from celery.signals import task_prerun
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils.dateparse import parse_datetime

from config.celery import app
from core.tasks import HEARTBEAT_KEY, heartbeat

TASK_TIMEOUT = 30


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_heartbeat_runs_on_a_real_worker_and_records_its_time(celery_worker):
    cache.delete(HEARTBEAT_KEY)

    async_result = heartbeat.delay("ci-check")
    result = async_result.get(timeout=TASK_TIMEOUT)
    async_result.forget()

    assert result["token"] == "ci-check"
    assert result["database"] == "ok"
    recorded = cache.get(HEARTBEAT_KEY)
    assert recorded == result["at"]
    assert parse_datetime(recorded) is not None


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_heartbeat_with_a_non_string_token_fails_with_a_clear_error(celery_worker):
    cache.delete(HEARTBEAT_KEY)
    async_result = heartbeat.delay(12345)

    with pytest.raises(ValueError, match="token must be a string"):
        async_result.get(timeout=TASK_TIMEOUT)
    assert async_result.state == "FAILURE"
    async_result.forget()
    assert cache.get(HEARTBEAT_KEY) is None


def test_heartbeat_rejects_a_non_string_token_when_called_directly():
    with pytest.raises(ValueError, match="token must be a string"):
        heartbeat.run(["not", "a", "string"])


def test_celery_only_speaks_json():
    assert app.conf.task_serializer == "json"
    assert app.conf.result_serializer == "json"
    assert list(app.conf.accept_content) == ["json"]


def test_tasks_are_acknowledged_late_and_requeued_if_the_worker_dies():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_tasks_have_time_limits():
    soft, hard = app.conf.task_soft_time_limit, app.conf.task_time_limit

    assert isinstance(soft, int)
    assert isinstance(hard, int)
    assert 0 < soft < hard


def test_celery_uses_the_programme_time_zone():
    assert app.conf.timezone == "Asia/Shanghai"
    assert app.conf.enable_utc is True


def test_broker_comes_from_django_settings():
    assert app.conf.broker_url == settings.CELERY_BROKER_URL
    assert app.conf.broker_url.startswith("redis://")


def test_worker_database_connection_reuse_is_visible_to_celerys_django_fixup():
    # celery/fixups/django.py reads exactly this key; a typo or wrong namespace would make
    # every task open a new database connection, silently.
    reuse_max = app.conf.get("CELERY_DB_REUSE_MAX")

    assert isinstance(reuse_max, int)
    assert reuse_max > 0
    assert DjangoWorkerFixup(app).db_reuse_max == reuse_max


def test_the_django_fixup_is_installed_on_the_app():
    assert any(isinstance(fixup, DjangoFixup) for fixup in app._fixups)


def test_heartbeat_is_registered_and_scheduled_by_beat():
    assert "core.tasks.heartbeat" in app.tasks
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "core.tasks.heartbeat" in scheduled


@pytest.mark.django_db(transaction=True)
def test_before_each_task_a_connection_the_server_dropped_is_replaced():
    """The short version of tests/faults/test_worker_recovery.py: the server ends this
    process's connection (as a restart does), then a task runs on the kept connection."""
    connection.ensure_connection()
    backend_pid = connection.connection.get_backend_pid()
    with psycopg2.connect(**connection.get_connection_params()) as admin, admin.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(%s)", [backend_pid])
    admin.close()

    # what the worker does before each task
    task_prerun.send(sender=heartbeat, task_id="after-restart", task=heartbeat, args=(), kwargs={})
    result = heartbeat.run("after-restart")

    assert result["database"] == "ok"
    assert connection.connection.get_backend_pid() != backend_pid
