"""An import's queries do not grow with its rows: upload, preview and apply of 100 law
firms run the same statements as of 10 (natural keys, existing rows and scope are read once
per file; new rows go in COPY batches of 1,000, which Django's query log does not see)."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.import_records import create_import_record, process_import_record
from core.models import ImportStatus
from firms.resources import LawFirmResource

from .files import xlsx
from .test_firm_import import HEADERS, firm_rows


def _queries_per_step(user, rows: list[list[object]]) -> dict[str, int]:
    counts = {}
    with CaptureQueriesContext(connection) as upload:
        record = create_import_record(
            user=user,
            resource_class=LawFirmResource,
            upload=io.BytesIO(xlsx(HEADERS, rows)),
            file_name="律所.xlsx",
        )
    counts["upload"] = len(upload)
    for step, apply in (("preview", False), ("apply", True)):
        with CaptureQueriesContext(connection) as captured:
            record = process_import_record(record_id=record.pk, apply=apply)
        assert record.errors == []
        counts[step] = len(captured)
    assert record.status == ImportStatus.SUCCEEDED
    assert record.rows_created == len(rows)
    return counts


@pytest.mark.parametrize("user_key", ["ministry", "hunan_dept"])
def test_an_import_runs_as_many_queries_for_100_rows_as_for_10(users, user_key):
    user = users[user_key]

    small = _queries_per_step(user, firm_rows(10, start=1))
    large = _queries_per_step(user, firm_rows(100, start=1001))

    assert large == small
    assert max(large.values()) <= 40  # a fixed set of statements per step, not per row


def test_a_re_import_of_100_unchanged_rows_runs_as_many_queries_as_of_10(users):
    user = users["hunan_dept"]
    _queries_per_step(user, firm_rows(10, start=1))
    _queries_per_step(user, firm_rows(100, start=1001))

    def unchanged(rows):
        record = create_import_record(
            user=user,
            resource_class=LawFirmResource,
            upload=io.BytesIO(xlsx(HEADERS, rows)),
            file_name="律所.xlsx",
        )
        with CaptureQueriesContext(connection) as captured:
            record = process_import_record(record_id=record.pk, apply=False)
        assert record.errors == []
        assert record.rows_unchanged == len(rows)
        return len(captured)

    assert unchanged(firm_rows(100, start=1001)) == unchanged(firm_rows(10, start=1))
