"""Measuring the cases: one connection and one cache key prefix per database, interleaved
rounds, each request timed and then its raw SQL (its own statements, captured as they were
sent, re-run on the psycopg2 cursor of the same connection)."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import re
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from .actors import Actors, ensure_actors
from .cases import Case, Request

# the session, the signed-in user and organisation, API keys, content types and the
# planner's estimate: what authenticates or frames a request, not the rows it serves
INFRASTRUCTURE = (
    "django_session",
    "accounts_user",
    "accounts_organisation",
    "accounts_apikey",
    "auth_",
    "django_content_type",
    "pg_class",
    "axes_",
    "otp_",
)
SYNCED = {
    "lawyers": "lawyers.Lawyer",
    "firms": "firms.LawFirm",
    "secondments": "pairing.Secondment",
    "service-records": "branches.ServiceRecord",
}
SWEEP_DAY = dt.date(2026, 12, 3)
PRIME = "/api/v1/provinces/"  # a cheap read  # a Thursday, as bench/reminders_bench.py sweeps


@dataclass
class Captured:
    statements: list[str]  # the raw SQL, as sent
    queries: int
    every: list[str] = field(default_factory=list)  # every statement of the request
    queries_page10: int | None = None
    rows: int | None = None
    in_transaction: bool = False


@dataclass
class Scale:
    label: str
    database: str
    scale: float
    connection: Any = None
    cache: Any = None
    actors: Actors | None = None
    clients: dict[str, Any] = field(default_factory=dict)
    requests: dict[str, Request] = field(default_factory=dict)
    captured: dict[str, Captured] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    samples: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


class NotFound(RuntimeError):
    pass


class Recorder:
    """Every statement a block sends, as sent (psycopg2's `cursor.query`)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        try:
            return execute(sql, params, many, context)
        finally:
            sent = getattr(context["cursor"].cursor, "query", None)
            if many or sent is None:
                self.statements.append(sql)
            else:
                self.statements.append(sent.decode() if isinstance(sent, bytes) else sent)


def _table(sql: str) -> str:
    """The table a SELECT reads: that of its first column (a UNION's first part), else
    that of its first FROM (a COUNT, the planner's estimate)."""
    match = re.match(r'\s*\(?\s*SELECT\s+(?:DISTINCT\s+)?"([A-Za-z0-9_]+)"\.', sql)
    match = match or re.search(r'\bFROM\s+"?([A-Za-z0-9_]+)"?', sql)
    return match.group(1) if match else ""


def _is_savepoint(sql: str) -> bool:
    return sql.lstrip()[:20].upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))


def raw_statements(statements: list[str], mode: str) -> list[str]:
    """The statements of a request that are its raw SQL (cases.Request.raw)."""
    out = []
    for sql in statements:
        if _is_savepoint(sql):
            continue
        if mode != "all":
            if not sql.lstrip(" (")[:6].upper().startswith(("SELECT", "WITH")):
                continue
            table = _table(sql)
            if any(
                table == name or (name.endswith("_") and table.startswith(name))
                for name in INFRASTRUCTURE
            ):
                continue
            if mode == "rows" and '"__count"' in sql:
                continue
        out.append(sql)
    return out


# --- databases --------------------------------------------------------------------------
def connection_to(database: str) -> Any:
    """A connection like the default one, to `database` (as bench/reminders_bench.py)."""
    from django.db import connections

    default = connections["default"]
    settings_dict = copy.deepcopy(default.settings_dict)
    settings_dict["NAME"] = database
    return default.__class__(settings_dict, alias="default")


def cache_for(database: str) -> Any:
    """The default cache with a key prefix of the database's own: API keys, rate limits
    and reused counts of one database are never read for the other."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    params = copy.deepcopy(settings.CACHES["default"])
    backend = import_string(params.pop("BACKEND"))
    location = params.pop("LOCATION", "")
    params["KEY_PREFIX"] = f"{params.get('KEY_PREFIX', '')}bench-suite:{database}"
    return backend(location, params)


def activate(scale: Scale) -> None:
    from django.core.cache import caches
    from django.db import connections

    connections["default"] = scale.connection
    caches["default"] = scale.cache


# --- setting up a scale -------------------------------------------------------------------
def _sync_position(label: str) -> tuple[dt.datetime, int] | None:
    """The (updated_at, id) in the middle of a table: where a partner's sync resumes."""
    from django.apps import apps

    model = apps.get_model(SYNCED[label])
    total = model.objects.count()
    if not total:
        return None
    return tuple(
        model.objects.order_by("updated_at", "id").values_list("updated_at", "id")[total // 2]
    )


def table_sizes() -> dict[str, int]:
    from django.db import connection

    tables = {
        "lawyers": "lawyers_lawyer",
        "firms": "firms_lawfirm",
        "trainees": "lawyers_trainee",
        "secondments": "pairing_secondment",
        "firm pairings": "pairing_firmpairing",
        "progress reports": "pairing_progressreport",
        "branch offices": "branches_branchoffice",
        "service records": "branches_servicerecord",
        "notifications": "reminders_notification",
        "personal-data accesses": "accounts_personaldataaccess",
    }
    out = {}
    with connection.cursor() as cursor:
        for label, table in tables.items():
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            out[label] = cursor.fetchone()[0]
    return out


def prepare(scale: Scale, cases: list[Case]) -> None:
    """Actors, clients, each case's request and its captured statements, in one database."""
    from django.test import Client

    activate(scale)
    actors = scale.actors = ensure_actors()
    scale.sizes = table_sizes()
    clients = {"partner": Client(HTTP_AUTHORIZATION=f"Api-Key {actors.partner_key}")}
    clients["writer"] = Client(HTTP_AUTHORIZATION=f"Api-Key {actors.write_key}")
    for name in ("ministry", "dept", "bar"):
        clients[name] = Client()
        clients[name].force_login(actors.users[name])
    scale.clients = clients
    context = {f"sync:{label}": _sync_position(label) for label in SYNCED}
    for case in cases:
        if case.kind != "request":
            continue
        try:
            request = case.build(actors, context) if case.build else None
            if request is None:
                scale.errors[case.name] = "no row to request in this database"
                continue
            try:
                scale.captured[case.name] = capture(scale, request)
            except NotFound:
                if "page=" not in request.path:
                    raise
                # fewer pages in this database (the tiny one of the tests): the first
                request.path = re.sub(r"page=\d+", "page=1", request.path)
                request.page10 = request.page10 and re.sub(r"page=\d+", "page=1", request.page10)
                scale.captured[case.name] = capture(scale, request)
            scale.requests[case.name] = request
        except Exception as error:  # reported with the case, the others go on
            scale.errors[case.name] = f"{type(error).__name__}: {error}"[:500]
            scale.requests.pop(case.name, None)


def send(scale: Scale, request: Request, recorder: Recorder | None = None) -> tuple[Any, float]:
    """The request through the test client; its time (a write's inside a transaction that
    is rolled back afterwards: the rollback is not timed); its statements to `recorder`."""
    from contextlib import nullcontext

    from django.db import connection, transaction

    client = scale.clients[request.client]
    kwargs: dict[str, Any] = {"headers": request.headers()}
    if request.method == "POST":
        kwargs["data"] = json.dumps(request.data)
        kwargs["content_type"] = "application/json"
    call = getattr(client, request.method.lower())
    recording = connection.execute_wrapper(recorder) if recorder else nullcontext()
    if request.rollback:
        # the key's last use, recorded at most once a minute, would be rolled back with the
        # write and recorded (and the key's cache emptied) again on every write: a read
        # first, committed, keeps it recorded as it is in steady use
        client.get(PRIME)
        with transaction.atomic(), recording:
            started = time.perf_counter()
            response = call(request.path, **kwargs)
            elapsed = time.perf_counter() - started
            transaction.set_rollback(True)
    else:
        with recording:
            started = time.perf_counter()
            response = call(request.path, **kwargs)
            elapsed = time.perf_counter() - started
    if response.status_code != request.status:
        raise (NotFound if response.status_code == 404 else RuntimeError)(
            f"{request.method} {request.path}: HTTP {response.status_code} "
            f"(expected {request.status}): {response.content[:300]!r}"
        )
    return response, elapsed


def _count(statements: list[str], request: Request) -> int:
    # a write runs inside the bench's own transaction, so its services' atomic blocks are
    # savepoints there; served for real they are the request's transaction, not queries
    if request.rollback:
        return sum(1 for s in statements if not _is_savepoint(s))
    return len(statements)


def capture(scale: Scale, request: Request) -> Captured:

    # captured as served in steady use: after two requests (the first touches the API key's
    # last use, which empties its cache entry, the second fills it; a reused count and the
    # dashboard's cached figures are then in the cache too)
    send(scale, request)
    send(scale, request)
    recorder = Recorder()
    response, _ = send(scale, request, recorder)
    rows = None
    if response.get("Content-Type", "").startswith("application/json"):
        body = response.json()
        if isinstance(body, dict) and isinstance(body.get("results"), list):
            rows = len(body["results"])
    captured = Captured(
        statements=raw_statements(recorder.statements, request.raw),
        queries=_count(recorder.statements, request),
        every=recorder.statements,
        rows=rows,
        in_transaction=request.raw == "all",
    )
    if request.page10:
        small, page10 = Recorder(), Request(request.client, request.page10, raw=request.raw)
        send(scale, page10)
        send(scale, page10)
        send(scale, page10, small)
        captured.queries_page10 = len(small.statements)
    if not captured.statements:
        raise RuntimeError(f"{request.path}: no statement to re-run raw")
    return captured


def run_raw(captured: Captured) -> float:
    """The captured statements on the psycopg2 cursor of the same connection, fetching
    every row; a write's in a transaction rolled back. Seconds."""
    from django.db import connection, transaction

    connection.ensure_connection()
    if captured.in_transaction:
        with transaction.atomic():
            with connection.connection.cursor() as cursor:
                started = time.perf_counter()
                for sql in captured.statements:
                    cursor.execute(sql)
                    if cursor.description is not None:
                        cursor.fetchall()
                elapsed = time.perf_counter() - started
            transaction.set_rollback(True)
        return elapsed
    with connection.connection.cursor() as cursor:
        started = time.perf_counter()
        for sql in captured.statements:
            cursor.execute(sql)
            cursor.fetchall()
        return time.perf_counter() - started


def record(scale: Scale, case: str, kind: str, seconds: float) -> None:
    scale.samples.setdefault(case, {}).setdefault(kind, []).append(seconds)


# --- the daily reminder sweep ------------------------------------------------------------
def sweep_once(recorder: Recorder | None = None) -> float:
    """run_sweep of SWEEP_DAY inside a transaction rolled back (as reminders_bench)."""
    from contextlib import nullcontext

    from django.db import connection, transaction

    from reminders.sweep import run_sweep

    wrap = connection.execute_wrapper(recorder) if recorder else nullcontext()
    with transaction.atomic(), wrap:
        started = time.perf_counter()
        run_sweep(on=SWEEP_DAY)
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed


def capture_sweep() -> Captured:
    recorder = Recorder()
    sweep_once(recorder)
    statements = raw_statements(recorder.statements, "all")
    return Captured(statements=statements, queries=len(statements), in_transaction=True)


# --- the spreadsheet import ---------------------------------------------------------------
IMPORT_FIRST_CODE = 70_000_000  # far above any credit-code sequence the data uses


def import_workbook(n: int, start: int) -> bytes:
    from openpyxl import Workbook

    from bench.import_bench import _E2E_PREFIX, _rows

    book = Workbook()
    sheet = book.active
    sheet.append(["统一社会信用代码", "名称", "省份", "区县代码", "组织形式", "律师人数", "规模所"])
    for row in _rows(n, start, _E2E_PREFIX):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def import_once(scale: Scale, n: int, start: int) -> dict[str, float]:
    """The clerk's whole path for n new firms, committed (bench/import_bench.py's
    `_end_to_end`: upload, preview, apply as the worker runs them), then deleted; and the
    floor of the same rows (their pinyin and the COPY with the audit trigger, rolled back),
    what no import can avoid: the import's "raw". Seconds, and the queries of the path."""
    from django.db import connection

    from accounts.import_records import create_import_record, process_import_record
    from bench.import_bench import _floor, _remove_committed, _rows
    from core.models import ImportStatus
    from firms.resources import LawFirmResource

    data = import_workbook(n, start)
    clerk = scale.actors.users["clerk"]
    out: dict[str, float] = {}
    counter = Recorder()
    _remove_committed()
    try:
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            record_ = create_import_record(
                user=clerk,
                resource_class=LawFirmResource,
                upload=io.BytesIO(data),
                file_name="基准.xlsx",
            )
            out["upload"] = time.perf_counter() - started
            started = time.perf_counter()
            record_ = process_import_record(record_id=record_.pk, apply=False)
            out["preview"] = time.perf_counter() - started
            if record_.status != ImportStatus.PREVIEWED:
                raise RuntimeError(f"preview: {record_.status} {record_.errors[:3]}")
            started = time.perf_counter()
            record_ = process_import_record(record_id=record_.pk, apply=True)
            out["apply"] = time.perf_counter() - started
        if record_.status != ImportStatus.SUCCEEDED or record_.rows_created != n:
            raise RuntimeError(f"apply: {record_.status}, {record_.rows_created} of {n}")
    finally:
        _remove_committed()
    floor = _floor(_rows(n, start + n), scale.actors.hunan)
    # the imported rows (deleted) and the floor's (rolled back) leave dead index entries
    # that every scoped read of firms would scan in the rounds after (seen: 720,000
    # entries for 40,000 firms); a maintained database has vacuumed them (not timed)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) firms_lawfirm, firms_lawfirmevent")
    out["raw"] = floor["pinyin"] + floor["copy"]
    out["queries"] = float(len(counter.statements))
    return out


def stats(values: list[float]) -> dict[str, float]:
    ms = sorted(v * 1000 for v in values)
    quartiles = statistics.quantiles(ms, n=4) if len(ms) > 1 else [ms[0], ms[0], ms[0]]
    return {
        "median": round(statistics.median(ms), 3),
        "min": round(ms[0], 3),
        "max": round(ms[-1], 3),
        "q1": round(quartiles[0], 3),
        "q3": round(quartiles[2], 3),
        "n": len(ms),
    }
