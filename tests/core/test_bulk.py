"""core.bulk.bulk_insert: rows written with COPY are the rows bulk_create would write."""

from __future__ import annotations

import datetime as dt
import decimal
import json

import pytest
from django.apps import apps
from django.db import DataError, IntegrityError, connection, transaction
from django.db.transaction import TransactionManagementError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.audit import audit_context
from core.bulk import CopyPipeline, bulk_insert, copy_supported
from firms.models import LawFirm
from lawyers.models import Lawyer
from pairing.models import TrainingActivity
from tests.factories import (
    HELPER,
    LawFirmFactory,
    LawyerFactory,
    PostingFactory,
    SecondmentFactory,
    credit_code,
    province,
)

LawFirmEvent = apps.get_model("firms", "LawFirmEvent")

# text COPY must not mangle: its separators, quotes, escapes and NULL marker
AWKWARD = [
    "",
    " ",
    "\\N",
    "NULL",
    '"',
    '""',
    "a,b",
    "a\tb",
    "line\nbreak",
    "cr\rlf\r\n",
    "back\\slash\\",
    "\\.",
    "'; DROP TABLE x; --",
    "长沙市岳麓区麓山南路 1 号",
    "  leading and trailing  ",
]


def stored(obj):
    """The row as PostgreSQL holds it, field by field."""
    fresh = type(obj)._default_manager.get(pk=obj.pk)
    return {f.attname: getattr(fresh, f.attname) for f in type(obj)._meta.concrete_fields}


def firms_with(addresses: list[str], start: int) -> list[LawFirm]:
    return [
        LawFirmFactory.build(
            credit_code=credit_code("110000", start + i), address=text, phone=f"{i}"
        )
        for i, text in enumerate(addresses)
    ]


def test_copy_is_used_on_postgresql():
    assert connection.vendor == "postgresql"
    assert copy_supported(LawFirm)
    assert copy_supported(Lawyer)
    assert copy_supported(TrainingActivity)


def test_awkward_text_is_stored_exactly_and_pks_match_rows(regions):
    firms = firms_with(AWKWARD, 700001)
    bulk_insert(LawFirm, firms, batch_size=4)  # several COPY batches
    assert all(f.pk is not None and not f._state.adding for f in firms)
    for firm, text in zip(firms, AWKWARD, strict=True):
        row = stored(firm)
        assert row["address"] == text
        assert row["credit_code"] == firm.credit_code  # each pk is its own row
        assert row["province_id"] == firm.province_id
    assert len({f.pk for f in firms}) == len(firms)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        max_size=60,
    )
)
def test_any_text_round_trips(regions, text):
    with transaction.atomic():
        (firm,) = firms_with([text], 710001)
        bulk_insert(LawFirm, [firm])
        assert stored(firm)["address"] == text
        transaction.set_rollback(True)


def test_same_row_as_bulk_create_for_every_field_kind(regions):
    """JSON, dates, nullable foreign keys, booleans, choices, numbers: a lawyer written by
    COPY reads back equal to one written by bulk_create from the same values."""
    firm = LawFirmFactory()
    values = {
        "name": "单\t小明",
        "gender": "F",
        "birth_date": dt.date(1990, 2, 28),
        "first_licence_year": 2015,
        "province": province(HELPER),
        "practice_areas": ["刑事", 'with "quotes"', {"nested": [1, None, True]}],
        "phone": "",
        "email": "a@example.cn",
        "name_pinyin": "shanxiaoming",
        "name_initials": "sxm",
    }
    copied = [Lawyer(firm=firm, **values), Lawyer(firm=None, **values)]
    created = [Lawyer(firm=firm, **values), Lawyer(firm=None, **values)]
    bulk_insert(Lawyer, copied)
    Lawyer.objects.bulk_create(created)
    for a, b in zip(copied, created, strict=True):
        row_a, row_b = stored(a), stored(b)
        for name in ("id", "created_at", "updated_at"):
            assert row_a.pop(name) is not None
            row_b.pop(name)
        assert row_a == row_b
    assert stored(copied[1])["firm_id"] is None


def test_decimal_and_generated_columns(regions):
    secondment = SecondmentFactory()
    activity = TrainingActivity(
        secondment=secondment,
        kind="case_seminar",
        held_on=dt.date(2026, 3, 2),
        hours=decimal.Decimal("7.5"),
        title="案例研讨，第一期",
    )
    bulk_insert(TrainingActivity, [activity])
    assert stored(activity)["hours"] == decimal.Decimal("7.5")

    posting = PostingFactory.build(
        lawyer=LawyerFactory(), branch=PostingFactory().branch, medical_passed=False
    )
    posting.start_date = dt.date(2030, 1, 1)
    from branches.models import Posting

    bulk_insert(Posting, [posting])
    posting.refresh_from_db()
    assert posting.checklist_complete is False  # computed by PostgreSQL, not sent


def test_rows_are_audited_with_the_actor(regions, django_user_model):
    actor = django_user_model.objects.create_user("copy-auditor", is_superuser=True)
    firms = firms_with(["甲", "乙"], 720001)
    with audit_context(actor=actor):
        bulk_insert(LawFirm, firms)
    events = LawFirmEvent.objects.filter(pgh_obj_id__in=[f.pk for f in firms], pgh_label="insert")
    assert events.count() == 2
    for event in events.select_related("pgh_context"):
        assert event.pgh_context is not None
        assert event.pgh_context.metadata.get("user") == actor.pk


def test_a_nul_character_is_refused_and_nothing_is_saved(regions):
    firms = firms_with(["fine", "bad\x00value"], 730001)
    before = LawFirm.objects.count()
    with pytest.raises(DataError), transaction.atomic():
        bulk_insert(LawFirm, firms)
    assert LawFirm.objects.count() == before
    assert all(f.pk is None for f in firms)  # still unsaved, as after a failed bulk_create


def test_none_in_a_required_column_is_an_integrity_error_naming_it(regions):
    (firm,) = firms_with(["x"], 740001)
    firm.name = None
    with pytest.raises(IntegrityError, match='"name"'), transaction.atomic():
        bulk_insert(LawFirm, [firm])
    assert firm.pk is None


def test_database_constraints_still_apply(regions):
    LawFirmFactory(credit_code=credit_code("110000", 750001))
    (duplicate,) = firms_with(["x"], 750001)
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert(LawFirm, [duplicate])


def test_an_unsaved_related_object_is_refused_like_bulk_create(regions):
    unsaved_firm = LawFirmFactory.build(credit_code=credit_code("110000", 760001))
    lawyer = LawyerFactory.build(firm=unsaved_firm)
    with pytest.raises(ValueError, match="unsaved"):
        bulk_insert(Lawyer, [lawyer])


def test_existing_rows_are_refused(regions):
    firm = LawFirmFactory()
    with pytest.raises(ValueError, match="new rows only"):
        bulk_insert(LawFirm, [firm])


# --- CopyPipeline: batches stored by a second thread ----------------------------------------
def test_a_pipeline_stores_what_bulk_insert_stores(regions, django_user_model):
    actor = django_user_model.objects.create_user("pipeline-auditor", is_superuser=True)
    texts = [f"管道{i}" for i in range(10)]
    piped, direct = firms_with(texts, 770001), firms_with(texts, 770101)
    with audit_context(actor=actor):
        with transaction.atomic(), CopyPipeline() as pipeline:
            bulk_insert(LawFirm, piped, batch_size=3, pipeline=pipeline)  # four batches
            # the next statement waits for the batches in flight: the rows are there
            assert LawFirm.objects.filter(pk__in=[f.pk for f in piped]).count() == 10
            assert pipeline.take_errors() == []
        bulk_insert(LawFirm, direct, batch_size=3)
    for a, b in zip(piped, direct, strict=True):
        left, right = stored(a), stored(b)
        for name in ("id", "credit_code", "name", "name_pinyin", "name_initials"):
            left.pop(name), right.pop(name)
        assert left.pop("created_at") == left.pop("updated_at")  # one timestamp per call
        right.pop("created_at"), right.pop("updated_at")
        assert left == right
        assert not a._state.adding
        assert a._state.db == "default"
    events = LawFirmEvent.objects.filter(pgh_obj_id__in=[f.pk for f in piped], pgh_label="insert")
    assert events.count() == 10
    assert {e.pgh_context.metadata.get("user") for e in events.select_related("pgh_context")} == {
        actor.pk
    }


def test_a_failing_batch_is_rolled_back_alone_and_reported(regions):
    LawFirmFactory(credit_code=credit_code("110000", 780005))  # row 5 of the file exists
    firms = firms_with([f"批{i}" for i in range(9)], 780001)  # batches of 3: 1-3, 4-6, 7-9
    with transaction.atomic(), CopyPipeline() as pipeline:
        bulk_insert(LawFirm, firms, batch_size=3, pipeline=pipeline)
        errors = pipeline.take_errors()
        assert len(errors) == 1
        assert isinstance(errors[0], IntegrityError)  # Django's class, not psycopg2's
        assert "credit_code" in str(errors[0])
        # the transaction goes on; the other batches are stored, the failed one is not
        codes = set(
            LawFirm.objects.filter(address__startswith="批").values_list("address", flat=True)
        )
        assert codes == {f"批{i}" for i in (0, 1, 2, 6, 7, 8)}
        assert [f.pk is None for f in firms] == [False] * 3 + [True] * 3 + [False] * 3
        assert all(f._state.adding for f in firms[3:6])
        assert pipeline.take_errors() == []  # each error is handed over once


def test_foreign_keys_are_checked_in_the_batch_not_at_commit(regions):
    (firm,) = firms_with(["无此省"], 790001)
    firm.province_id = 987654321  # no such province
    with transaction.atomic(), CopyPipeline() as pipeline:
        bulk_insert(LawFirm, [firm], pipeline=pipeline)
        (error,) = pipeline.take_errors()
        assert isinstance(error, IntegrityError)
        assert "province_id" in str(error)
        assert firm.pk is None
        # afterwards the foreign keys are deferred again, as Django declares them: a bad
        # id is accepted by the INSERT and refused only when the check runs (at COMMIT)
        (later,) = firms_with(["之后"], 790002)
        later.province_id = 987654321
        with transaction.atomic():
            later.save()
            with pytest.raises(IntegrityError), connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            transaction.set_rollback(True)


def test_an_error_nobody_took_is_raised_when_the_pipeline_closes(regions):
    LawFirmFactory(credit_code=credit_code("110000", 800001))
    (duplicate,) = firms_with(["重复"], 800001)
    with pytest.raises(IntegrityError), transaction.atomic(), CopyPipeline() as pipeline:
        bulk_insert(LawFirm, [duplicate], pipeline=pipeline)


def test_a_pipeline_needs_a_transaction(db):
    # pytest-django's test transaction is an atomic block: leave it for this check
    connection.in_atomic_block, was = False, connection.in_atomic_block
    try:
        with pytest.raises(TransactionManagementError), CopyPipeline():
            pass
    finally:
        connection.in_atomic_block = was


# --- copy_rows: generated rows as tuples (core.national) -----------------------------------
def _scratch_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE scratch (id bigint PRIMARY KEY, t text, d date, j jsonb, "
            "b boolean, n integer)"
        )


@pytest.mark.django_db
def test_copy_rows_stores_awkward_values_exactly_in_several_chunks():
    from core.bulk import copy_rows

    _scratch_table()
    rows = [
        (i, text, dt.date(2024, 1, 1 + i % 28), [text, i], i % 2 == 0, None if i % 3 else i)
        for i, text in enumerate(AWKWARD * 3)
    ]
    seen = []
    with connection.cursor() as cursor:
        written = copy_rows(
            cursor, "scratch", ["id", "t", "d", "j", "b", "n"], rows, chunk=4, progress=seen.append
        )
        cursor.execute("SELECT id, t, d, j, b, n FROM scratch ORDER BY id")
        stored_rows = cursor.fetchall()
    assert written == len(rows)
    assert seen[-1] == len(rows)  # progress after each chunk
    assert seen == sorted(seen)
    # (Django leaves jsonb as text: json.loads it)
    assert [(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5]) for r in stored_rows] == [
        (i, t, d, j, b, n) for i, t, d, j, b, n in rows
    ]


@pytest.mark.django_db
def test_copy_rows_raises_a_failing_chunk_and_writes_nothing_of_it():
    from core.bulk import copy_rows

    _scratch_table()
    rows = [(i % 6, "x", None, None, None, None) for i in range(10)]  # id 0 again in chunk 2
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        copy_rows(cursor, "scratch", ["id", "t", "d", "j", "b", "n"], rows, chunk=6)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM scratch")
        assert cursor.fetchone()[0] == 0
