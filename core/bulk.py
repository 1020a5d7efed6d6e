"""Bulk inserts through PostgreSQL's COPY, for spreadsheet imports.

`bulk_insert(model, objs)` writes new model instances like `Model.objects.bulk_create`
(primary keys set on the instances, `_state` as after a save, auto_now fields filled) but
sends the rows with `COPY ... FROM STDIN` instead of a multi-row INSERT, about twice as
fast for 10,000 firms with the audit trigger (bench/import_bench.py prints both): Django
prepares every value of an INSERT through a generic per-value path (pre_save →
get_db_prep_save → placeholder → psycopg2 quoting), and that, not PostgreSQL, is most of
the time. With a `CopyPipeline`, each batch's COPY is stored by a second thread while the
caller prepares the next batch, so an import costs about its Python time, not Python plus
PostgreSQL.

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
import datetime as dt
import io
import json
import operator
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from typing import Any

from django.db import IntegrityError, connections, models
from django.db.transaction import TransactionManagementError
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


class CopyPipeline:
    """COPY batches sent from a second thread while the caller prepares the next batch.

    An import's time is Python (reading, cleaning and validating rows) plus PostgreSQL
    (storing them: indexes, the audit trigger, foreign-key checks); one thread does them
    one after the other, while the server's process has a core of its own. With a
    pipeline, `bulk_insert` hands each COPY to a thread and returns, so the server stores
    batch N while Python validates batch N+1.

    One connection, never used by two threads at once: while the pipeline is open, every
    statement the caller's thread runs through Django waits for the batch in flight first
    (an execute wrapper: savepoints, queries, the next batch's key reservation), and
    leaving the pipeline waits too. So the order of statements is the order of calls, as
    without a pipeline. The batch thread touches only the raw psycopg2 connection, never
    Django's wrapper (which belongs to the caller's thread).

    Each batch runs in a savepoint of its own, with the table's deferred foreign keys
    checked at the end of the COPY (inside the savepoint, so in the overlapped time, not at
    COMMIT): a failing batch is rolled back to its savepoint and the transaction goes on,
    as django-import-export's per-batch savepoint did. Its error is kept, with Django's
    exception class, for `take_errors()`; an error nobody took is raised on leaving. The
    failed batch's instances get their primary keys taken away again, as after a failed
    bulk_create.

    Must be used inside a transaction (`atomic`): the batches are part of it.
    """

    def __init__(self, using: str = "default") -> None:
        self.using = using
        self.connection = connections[using]
        self._thread: threading.Thread | None = None
        self._failed: list[tuple[BaseException, Sequence[models.Model], str]] = []
        self._wrapper: Any = None
        self._count = 0
        self._foreign_keys: dict[type[models.Model], list[str]] = {}

    def __enter__(self) -> CopyPipeline:
        if not self.connection.in_atomic_block:
            raise TransactionManagementError("CopyPipeline needs a transaction (atomic).")
        self._wrapper = self.connection.execute_wrapper(self._barrier)
        self._wrapper.__enter__()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            self.wait()
        finally:
            self._wrapper.__exit__(exc_type, exc, tb)
            self._wrapper = None
        if exc_type is None:
            errors = self.take_errors()
            if errors:
                raise errors[0]

    def _barrier(self, execute: Any, sql: Any, params: Any, many: bool, context: Any) -> Any:
        self.wait()
        return execute(sql, params, many, context)

    def wait(self) -> None:
        """Wait until the batch in flight is stored (or has failed)."""
        thread = self._thread
        if thread is not None:
            thread.join()  # if interrupted (a time limit), the next wait joins again
            self._thread = None

    def take_errors(self) -> list[Exception]:
        """The errors of the batches sent so far (after waiting for them), as Django's
        database exceptions; each is returned once."""
        self.wait()
        failed, self._failed = self._failed, []
        errors = []
        for error, objs, pk_attname in failed:
            for obj in objs:  # as after a failed bulk_create: still unsaved
                setattr(obj, pk_attname, None)
                obj._state.adding = True
            errors.append(self._as_django(error))
        return errors

    def _as_django(self, error: BaseException) -> Exception:
        try:
            with self.connection.wrap_database_errors:
                raise error
        except Exception as wrapped:  # returned, not swallowed
            return wrapped
        return error  # pragma: no cover - the with block always raises

    def foreign_keys(self, model: type[models.Model]) -> list[str]:
        """The model's deferred foreign keys (asked once per pipeline and table)."""
        names = self._foreign_keys.get(model)
        if names is None:
            names = self._foreign_keys[model] = _deferred_foreign_keys(model, self.using)
        return names

    def send(
        self,
        copy_sql: str,
        data: str,
        objs: Sequence[models.Model],
        pk_attname: str,
        foreign_keys: Sequence[str],
    ) -> None:
        """Start storing one batch (after the previous one is done)."""
        self.wait()
        raw = self.connection.connection  # opened: the key reservation ran just before
        self._count += 1
        savepoint = f"copy_pipeline_{self._count}"
        quote = self.connection.ops.quote_name
        constraints = ", ".join(quote(name) for name in foreign_keys)
        thread = threading.Thread(
            target=self._store,
            args=(raw, savepoint, constraints, copy_sql, data, objs, pk_attname),
            name=f"copy-{savepoint}",
            daemon=True,
        )
        self._thread = thread
        thread.start()

    def _store(
        self,
        raw: Any,
        savepoint: str,
        constraints: str,
        copy_sql: str,
        data: str,
        objs: Sequence[models.Model],
        pk_attname: str,
    ) -> None:
        # runs in the batch thread: the raw connection only (see the class docstring)
        begin = f"SAVEPOINT {savepoint}"
        end = f"RELEASE SAVEPOINT {savepoint}"
        if constraints:
            begin += f"; SET CONSTRAINTS {constraints} IMMEDIATE"
            end = f"SET CONSTRAINTS {constraints} DEFERRED; {end}"
        try:
            with raw.cursor() as cursor:
                cursor.execute(begin)
                try:
                    # one read of the whole batch: the thread needs the GIL per read
                    cursor.copy_expert(copy_sql, io.StringIO(data), size=max(len(data), 8192))
                    cursor.execute(end)
                except BaseException as error:
                    self._failed.append((error, objs, pk_attname))
                    cursor.execute(f"ROLLBACK TO SAVEPOINT {savepoint}; {end}")
        except BaseException as error:  # the savepoint itself failed: the caller's next
            # statement fails the same way; keep this error for take_errors() as well
            if not any(failed[0] is error for failed in self._failed):
                self._failed.append((error, objs, pk_attname))


def _deferred_foreign_keys(model: type[models.Model], using: str) -> list[str]:
    """The table's foreign keys whose check waits for COMMIT (Django's default)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE contype = 'f' AND condeferred"
            " AND conrelid = %s::regclass ORDER BY conname",
            [connection.ops.quote_name(model._meta.db_table)],
        )
        return [row[0] for row in cursor.fetchall()]


def bulk_insert(
    model: type[models.Model],
    objs: Sequence[models.Model],
    *,
    batch_size: int = 1000,
    using: str = "default",
    pipeline: CopyPipeline | None = None,
) -> None:
    """Insert `objs` (new instances of `model`); their primary keys are set afterwards.

    With a `pipeline` (open, on the same database), the COPY batches are stored by its
    thread and this returns at once; their errors come from `pipeline.take_errors()`.
    """
    if not objs:
        return
    if not copy_supported(model, using):
        model._default_manager.using(using).bulk_create(objs, batch_size=batch_size)
        return
    if pipeline is not None and pipeline.using != using:
        raise ValueError("The pipeline writes to another database.")
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
    foreign_keys = pipeline.foreign_keys(model) if pipeline is not None else []
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
        start = 0
        try:
            for start in range(0, len(objs), batch_size):
                chunk = objs[start : start + batch_size]
                buffer = io.StringIO()
                csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n").writerows(
                    _rows(chunk, [*as_is, *others], get, prepared)
                )
                if pipeline is not None:
                    pipeline.send(copy_sql, buffer.getvalue(), chunk, pk.attname, foreign_keys)
                    continue
                buffer.seek(0)
                with connection.wrap_database_errors:  # psycopg2's errors as Django's
                    cursor.cursor.copy_expert(copy_sql, buffer)
        except BaseException:
            # as after a failed bulk_create: still unsaved. With a pipeline, the batches
            # already sent keep their keys unless they fail too (take_errors)
            for obj in objs[start if pipeline is not None else 0 :]:
                setattr(obj, pk.attname, None)
            raise
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using


# --- rows as tuples ------------------------------------------------------------------------------
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value: Any) -> str:
    """One value in COPY's text format (NULL, booleans, dates, JSON for lists and dicts)."""
    kind = type(value)
    if kind is str:
        return value.translate(_COPY_ESCAPES)
    if kind is int:
        return str(value)
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, dt.date):  # also datetime
        return value.isoformat()
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False)
    return str(value).translate(_COPY_ESCAPES)


def copy_rows(
    cursor: Any,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    chunk: int = 50_000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """COPY `rows` (tuples in `columns`' order, Python values) into `table` on a psycopg2
    `cursor` (or Django's wrapper of one); for generated data, where rows are not model
    instances: no field preparation, so each value must already be what the column stores
    (ids for foreign keys, aware datetimes). Triggers and constraints apply as for an
    INSERT. Returns the rows written; `progress(n)` is called after each chunk with the
    rows written so far.

    Each chunk is sent by a second thread while this one formats the next (the server
    stores chunk N while Python prepares chunk N+1, as CopyPipeline does for instances);
    the connection is used by one thread at a time, and an error of a chunk is raised
    here."""
    names = ", ".join(f'"{c}"' for c in columns)
    sql = f'COPY "{table}" ({names}) FROM STDIN'
    raw = getattr(cursor, "cursor", cursor)  # the psycopg2 cursor under Django's wrapper
    django_db = getattr(cursor, "db", None)  # psycopg2's errors as Django's, as execute()
    errors = django_db.wrap_database_errors if django_db is not None else nullcontext()
    with errors:
        return _send_rows(_ChunkSender(raw, sql), rows, copy_text, chunk, progress)


def _send_rows(
    sender: _ChunkSender,
    rows: Iterable[Sequence[Any]],
    text: Callable[[Any], str],
    chunk: int,
    progress: Callable[[int], None] | None,
) -> int:
    lines: list[str] = []
    written = 0
    try:
        for row in rows:
            # a row is a tuple of values, or (for generators that format their own) the
            # line itself in COPY's text format, without its newline
            lines.append(row if type(row) is str else "\t".join([text(v) for v in row]))
            if len(lines) >= chunk:
                sender.send(lines)
                written += len(lines)
                lines = []
                if progress is not None:
                    progress(written)
        if lines:
            sender.send(lines)
            written += len(lines)
    finally:
        sender.finish()
    if progress is not None and lines:
        progress(written)
    return written


class _ChunkSender:
    """One COPY per chunk, each in a thread started after the previous one ended."""

    def __init__(self, raw_cursor: Any, sql: str) -> None:
        self.cursor = raw_cursor
        self.sql = sql
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def _store(self, data: str) -> None:
        try:
            self.cursor.copy_expert(self.sql, io.StringIO(data), max(len(data), 8192))
        except BaseException as error:  # raised by the caller's thread in wait()
            self.error = error

    def wait(self) -> None:
        if self.thread is not None:
            self.thread.join()
            self.thread = None
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def send(self, lines: list[str]) -> None:
        self.wait()
        data = "\n".join(lines) + "\n"
        self.thread = threading.Thread(target=self._store, args=(data,), daemon=True)
        self.thread.start()

    def finish(self) -> None:
        self.wait()
