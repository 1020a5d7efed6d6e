"""Bulk inserts through PostgreSQL's COPY, for spreadsheet imports.

`bulk_insert(model, objs)` writes new model instances like `Model.objects.bulk_create`
(primary keys set on the instances, `_state` as after a save, auto_now fields filled) but
sends the rows with `COPY ... FROM STDIN` instead of a multi-row INSERT. On this machine
a 10,000-firm batch takes 0.8 s instead of 2.1 s (bench/import_bench.py prints both):
Django prepares every value of an INSERT through a generic per-value path
(pre_save → get_db_prep_save → placeholder → psycopg2 quoting), and that, not PostgreSQL,
is most of the time.

Why our own: the maintained COPY helpers do not fit the fixed stack — django-pgbulk's
`copy()` requires psycopg 3 (we use psycopg2), and django-bulk-load requires the psycopg2
source package (a compiler and libpq headers) and loads through a temporary table with
Django's per-value preparation, the cost we are avoiding.

What stays the same as bulk_create:
- triggers fire (COPY runs AFTER triggers; pghistory's statement-level insert trigger
  records the rows), constraints and deferred foreign keys are checked as for an INSERT;
- the audit context: the query that reserves the primary keys goes through Django's
  cursor, so pghistory's execute wrapper sets the (transaction-local) context first
  (tests/core/test_bulk.py checks the actor on the events);
- values: simple fields are written from the instance as they are; every other field
  goes through its own `pre_save` and `get_db_prep_save`, as Django's INSERT does.

Elsewhere than PostgreSQL (the SQLite demo), and for models with a field this writer does
not know (binary, arrays), it is `bulk_create`.
"""

from __future__ import annotations

import csv
import io
import operator
from collections.abc import Callable, Sequence
from typing import Any

from django.db import IntegrityError, connections, models
from django.utils import timezone

#: fields whose instance value is what the INSERT would send (no pre_save, no prep)
_AS_IS = (
    models.CharField,  # also EmailField, SlugField, URLField
    models.TextField,
    models.IntegerField,  # also the positive/small/big variants
    models.BooleanField,
    models.DateField,  # not DateTimeField (a naive value is made aware by its prep)
    models.ForeignKey,  # the id in attname (also OneToOneField)
)
#: fields this writer can send through their own preparation
_PREPARED = (
    models.DateTimeField,
    models.TimeField,
    models.DecimalField,
    models.FloatField,
    models.UUIDField,
    models.JSONField,
    models.FileField,
)
_UNSUPPORTED = (models.BinaryField,)


class _Null:
    """COPY's NULL in CSV format: written unquoted as ``\\N`` (the csv module quotes every
    value that is not a number, so a text ``\\N`` stays a quoted string, never NULL)."""

    def __float__(self) -> float:  # what makes the csv module write it unquoted
        return 0.0

    def __str__(self) -> str:
        return "\\N"


_NULL = _Null()


def _is_as_is(field: models.Field) -> bool:
    if isinstance(field, models.ForeignKey):
        return _is_as_is(field.target_field)
    if isinstance(field, models.DateTimeField):  # aware values only: see bulk_insert
        return field.auto_now or field.auto_now_add
    return isinstance(field, _AS_IS)


def copy_supported(model: type[models.Model], using: str = "default") -> bool:
    if connections[using].vendor != "postgresql":
        return False
    for field in model._meta.concrete_fields:
        if getattr(field, "generated", False) or field.primary_key:
            continue
        if isinstance(field, _UNSUPPORTED) or not (
            _is_as_is(field) or isinstance(field, _PREPARED)
        ):
            return False
    pk = model._meta.pk
    return isinstance(pk, models.AutoField)  # ids reserved from the identity sequence


def _prepared(field: models.Field, connection: Any) -> Callable[[models.Model], Any]:
    def value(obj: models.Model) -> Any:
        v = field.get_db_prep_save(field.pre_save(obj, True), connection=connection)
        if hasattr(v, "adapted") and hasattr(v, "dumps"):  # psycopg2's Json (JSONField)
            return v.dumps(v.adapted)
        return v

    return value


def _rows(
    objs: Sequence[models.Model],
    fields: Sequence[models.Field],
    get: Callable[[models.Model], tuple[Any, ...]],
    prepared: Sequence[Callable[[models.Model], Any]],
) -> list[list[Any]]:
    """The CSV rows: the as-is columns read in C (attrgetter), then the prepared ones;
    None is NULL in a nullable column and refused in any other (as the INSERT would)."""
    nullable = [i for i, f in enumerate(fields) if f.null]
    rows = []
    for obj in objs:
        row = [*get(obj), *[p(obj) for p in prepared]]
        for i in nullable:
            if row[i] is None:
                row[i] = _NULL
        if None in row:
            column = fields[row.index(None)].column
            raise IntegrityError(f'null value in column "{column}" violates not-null constraint')
        rows.append(row)
    return rows


def bulk_insert(
    model: type[models.Model],
    objs: Sequence[models.Model],
    *,
    batch_size: int = 1000,
    using: str = "default",
) -> None:
    """Insert `objs` (new instances of `model`); their primary keys are set afterwards."""
    if not objs:
        return
    if not copy_supported(model, using):
        model._default_manager.using(using).bulk_create(objs, batch_size=batch_size)
        return
    connection = connections[using]
    opts = model._meta
    pk = opts.pk
    fields = [f for f in opts.concrete_fields if not getattr(f, "generated", False)]
    if pk not in fields:  # pragma: no cover - a concrete AutoField is always listed
        fields.insert(0, pk)
    for obj in objs:
        if obj.pk is not None:
            raise ValueError("bulk_insert writes new rows only (a primary key was set).")
        # as bulk_create: an unsaved related object is refused, a saved one's id is used
        obj._prepare_related_fields_for_save(operation_name="bulk_insert")
    # auto_now / auto_now_add: one timestamp for the whole call (pre_save would read the
    # clock once per row), then read as-is like the simple fields
    now = timezone.now()
    for field in fields:
        if isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
            for obj in objs:
                setattr(obj, field.attname, now)
    as_is = [f for f in fields if _is_as_is(f)]
    others = [f for f in fields if not _is_as_is(f)]
    prepared = [_prepared(f, connection) for f in others]
    names = [f.attname for f in as_is]
    get = operator.attrgetter(*names) if len(names) > 1 else lambda obj: (getattr(obj, names[0]),)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in (*as_is, *others))
    copy_sql = f"COPY {quote(opts.db_table)} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
    with connection.cursor() as cursor:
        # Written as a CTE on purpose: pghistory's execute wrapper skips statements that
        # start with SELECT, and this one must carry the audit context (set_config, local
        # to the transaction) that the COPY's trigger then reads.
        cursor.execute(
            "WITH ids AS (SELECT nextval(pg_get_serial_sequence(%s, %s)) AS id"
            " FROM generate_series(1, %s)) SELECT id FROM ids",
            [opts.db_table, pk.column, len(objs)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        for obj, new_id in zip(objs, ids, strict=True):
            setattr(obj, pk.attname, new_id)
        try:
            for start in range(0, len(objs), batch_size):
                chunk = objs[start : start + batch_size]
                buffer = io.StringIO()
                csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n").writerows(
                    _rows(chunk, [*as_is, *others], get, prepared)
                )
                buffer.seek(0)
                with connection.wrap_database_errors:  # psycopg2's errors as Django's
                    cursor.cursor.copy_expert(copy_sql, buffer)
        except BaseException:
            for obj in objs:  # as after a failed bulk_create: still unsaved
                setattr(obj, pk.attname, None)
            raise
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using
