"""An upload is parsed once: its preview and apply step read the parsed table from the
cache, and parse the stored file again only when the cache does not have it."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache

from accounts import import_records
from accounts.import_records import (
    create_import_record,
    current_progress,
    process_import_record,
    record_table,
    table_key,
)
from core.models import ImportStatus
from core.spreadsheets import read_table
from firms.models import LawFirm
from firms.resources import LawFirmResource
from tests.factories import credit_code

from .files import csv_bytes, xlsx

HEADERS = ["统一社会信用代码", "名称", "省份"]
DEAD_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
    }
}


@pytest.fixture
def parses(monkeypatch):
    """How many times the import records parse a file (the real parser, counted)."""
    calls = []

    def counted(data, **kwargs):
        calls.append(len(data))
        return read_table(data, **kwargs)

    monkeypatch.setattr(import_records, "read_table", counted)
    return calls


def _firm_file(start: int, n: int = 3) -> bytes:
    rows = [
        [credit_code("430000", start + i), f"湖南缓存所{start + i}", "湖南省"] for i in range(n)
    ]
    return xlsx(HEADERS, rows)


def _upload(user, data: bytes, name: str = "缓存.xlsx"):
    return create_import_record(
        user=user, resource_class=LawFirmResource, upload=io.BytesIO(data), file_name=name
    )


@pytest.mark.django_db
def test_the_upload_is_parsed_once_for_its_preview_and_apply(users, settings, tmp_path, parses):
    settings.MEDIA_ROOT = tmp_path
    data = _firm_file(771001)

    record = _upload(users["hunan_dept"], data)
    assert parses == [len(data)]
    assert cache.get(table_key(data)) == read_table(data)

    previewed = process_import_record(record_id=record.pk, apply=False)
    applied = process_import_record(record_id=record.pk, apply=True)

    assert parses == [len(data)]  # neither step parsed the file again
    assert previewed.status == ImportStatus.PREVIEWED
    assert applied.status == ImportStatus.SUCCEEDED, applied.errors
    assert applied.rows_created == 3
    assert LawFirm.objects.filter(name__startswith="湖南缓存所7710").count() == 3


@pytest.mark.django_db
def test_a_cache_miss_parses_the_stored_file_and_keeps_it_again(users, settings, tmp_path, parses):
    settings.MEDIA_ROOT = tmp_path
    data = csv_bytes(
        HEADERS, [[credit_code("430000", 772001), "湖南缓存所772001", "湖南省"]], "gbk"
    )
    record = _upload(users["hunan_dept"], data, "缓存.csv")
    cache.delete(table_key(data))  # expired or evicted

    previewed = process_import_record(record_id=record.pk, apply=False)

    assert previewed.status == ImportStatus.PREVIEWED, previewed.errors
    assert parses == [len(data), len(data)]
    assert cache.get(table_key(data)) == read_table(data)
    process_import_record(record_id=record.pk, apply=True)
    assert parses == [len(data), len(data)]
    assert LawFirm.objects.filter(name="湖南缓存所772001").exists()


def test_the_key_follows_the_bytes_and_the_row_limit(settings):
    first, second = _firm_file(773001), _firm_file(773101)
    key = table_key(first)

    assert table_key(first) == key
    assert table_key(second) != key
    settings.IMPORT_MAX_ROWS = 2
    assert table_key(first) != key


@pytest.mark.django_db
def test_a_row_limit_lowered_after_the_upload_still_refuses_the_file(
    users, settings, tmp_path, parses
):
    settings.MEDIA_ROOT = tmp_path
    record = _upload(users["hunan_dept"], _firm_file(773201))
    settings.IMPORT_MAX_ROWS = 2

    previewed = process_import_record(record_id=record.pk, apply=False)

    assert previewed.status == ImportStatus.FAILED
    assert "2" in previewed.errors[0]["message"]
    assert len(parses) == 2


@pytest.mark.django_db
def test_something_else_under_the_key_is_not_used(users, settings, tmp_path, parses):
    settings.MEDIA_ROOT = tmp_path
    data = _firm_file(774001)
    record = _upload(users["hunan_dept"], data)
    cache.set(table_key(data), {"not": "a table"})

    table = record_table(record)

    assert table == read_table(data)
    assert len(parses) == 2


@pytest.mark.django_db
def test_with_the_cache_down_an_import_still_runs_and_saves(users, settings, tmp_path, parses):
    settings.MEDIA_ROOT = tmp_path
    settings.CACHES = DEAD_CACHE
    data = _firm_file(775001)

    record = _upload(users["hunan_dept"], data)
    previewed = process_import_record(record_id=record.pk, apply=False)
    applied = process_import_record(record_id=record.pk, apply=True)

    assert previewed.status == ImportStatus.PREVIEWED, previewed.errors
    assert applied.status == ImportStatus.SUCCEEDED, applied.errors
    assert current_progress(applied) == 100
    assert len(parses) == 3  # each step parsed the stored file itself
    assert LawFirm.objects.filter(name__startswith="湖南缓存所7750").count() == 3
