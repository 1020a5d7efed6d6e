"""The reminders benchmark's datasets (bench/reminders_bench.py), built small in the test
database, against the rules every other path is held to: the benchmark COPYs its rows with
triggers off, so a validator or constraint change that its synthetic dates or names break
would otherwise show only when someone runs the benchmark (issue 22 did: its 1x rows dated
from 2018, its 10x rows from 1947). CHECK, unique and exclusion constraints hold during
COPY (loading fails on a violation); foreign keys, which `session_replication_role =
replica` skips, are checked here; and a sample of every loaded model passes `full_clean`
(field validators, the models' clean(): trainees under 40, a secondment's quota and
mentor, a report's due date). The 10x rows must leave the sweep day's deadlines as they
were: the benchmark compares the same rows due at both sizes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection
from psycopg2 import sql

from bench.reminders_bench import (
    LOADED_TABLES,
    ON,
    Size,
    build_base,
    build_history,
)
from branches.models import Posting
from pairing.models import FirmPairing, ProgressReport, Secondment
from reminders.sweep import run_sweep

# at least one pairing per agreement (39): every agreement has a helper firm to host
SIZE = Size(pairings=45, secondments=90, branches=12)
SAMPLE = 30  # rows per model given to full_clean, spread over the ids


def _loaded_models() -> list[type]:
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.db_table in LOADED_TABLES
    ]


def _dangling_foreign_keys() -> dict[str, int]:
    """Per foreign-key column of the loaded tables, the rows pointing at no row."""
    dangling = {}
    with connection.cursor() as cursor:
        for model in _loaded_models():
            table = model._meta.db_table
            for field in model._meta.concrete_fields:
                if not field.is_relation:
                    continue
                target = field.related_model._meta.db_table
                cursor.execute(
                    sql.SQL(
                        "SELECT COUNT(*) FROM {table} a WHERE a.{column} IS NOT NULL AND NOT "
                        "EXISTS (SELECT 1 FROM {target} b WHERE b.{key} = a.{column})"
                    ).format(
                        table=sql.Identifier(table),
                        column=sql.Identifier(field.column),
                        target=sql.Identifier(target),
                        key=sql.Identifier(field.target_field.column),
                    )
                )
                n = cursor.fetchone()[0]
                if n:
                    dangling[f"{table}.{field.column}"] = n
    return dangling


def _validation_errors() -> dict[str, object]:
    """full_clean on SAMPLE rows of each loaded model, spread from the first id to the last."""
    errors: dict[str, object] = {}
    for model in _loaded_models():
        pks = list(model._default_manager.order_by("pk").values_list("pk", flat=True))
        step = max(1, len(pks) // SAMPLE)
        for obj in model._default_manager.filter(pk__in=pks[::step] + pks[-1:]):
            try:
                obj.full_clean()
            except ValidationError as error:
                errors[f"{model._meta.label} {obj.pk}"] = error.message_dict
    return errors


def _due() -> dict[str, tuple[int, int]]:
    """Per rule kind, the sweep day's deadlines and the notifications it would send."""
    return {
        result.rule.kind: (result.obligations, len(result.would_send))
        for result in run_sweep(on=ON, dry_run=True)
    }


@pytest.mark.django_db
def test_the_reminders_bench_datasets_pass_the_constraints_and_validation():
    with time_machine.travel(
        dt.datetime(2026, 12, 3, 9, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False
    ):
        # given the 1x dataset built small (loading fails on a CHECK, unique or exclusion
        # constraint)
        build_base(SIZE)
        due_1x = _due()
        sizes_1x = {m: m.objects.count() for m in (ProgressReport, Secondment, Posting)}
        this_year = Secondment.objects.filter(quota__year=ON.year).count()

        # when the 10x rows are added to it
        build_history(SIZE)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = origin")

        # then every foreign key points at a row, the sample passes model validation
        assert len(_loaded_models()) == len(LOADED_TABLES)
        assert _dangling_foreign_keys() == {}
        assert _validation_errors() == {}
        # the tables grew about tenfold with settled rows, and the sweep day's deadlines
        # (some of every kind the data feeds) are the same at both sizes
        assert Secondment.objects.count() == 10 * sizes_1x[Secondment]
        for model in (ProgressReport, Posting):
            assert 8 * sizes_1x[model] <= model.objects.count() <= 12 * sizes_1x[model]
        assert not FirmPairing.objects.filter(status="ended", term_end__gte=ON).exists()
        assert Secondment.objects.filter(quota__year=ON.year).count() == this_year > 0
        assert _due() == due_1x
        assert sum(obligations for obligations, _ in due_1x.values()) > 0
