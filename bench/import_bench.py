"""Spreadsheet import throughput: 10,000 law firms from one XLSX file, through the same
engine as the admin (django-import-export, bulk mode, preloaded natural keys, full_clean
and the scope check per row), as a ministry user and as a provincial department user.

    python -m bench.import_bench            (or: python -m bench.run import_bench)
    BENCH_IMPORT_ROWS=50000 python -m bench.import_bench
    BENCH_IMPORT_ROWS=10000,50000 python -m bench.import_bench   (both, and how the cost
                                            per row grows: 50,000 rows' as a multiple of 10,000's)

Prints rows/s for a dry run (the preview), the import itself, and a re-import of the same
file (every row unchanged), medians of BENCH_IMPORT_ROUNDS (3) interleaved rounds, and
each as a multiple of the floor measured in the same rounds (pinyin of the names plus the
COPY of the same rows with the audit trigger): the rows/s follow the machine (the same
code has measured about 2x apart on two VMs of this kind), the multiple much less. The
ministry's import is also run with the COPY batches written by the importing thread itself
(`pipelined = False`), to show what the second thread gains in the same run.
Everything above runs in a transaction that is rolled back. Last, the clerk's whole path
is timed as it runs for real, committed: the upload (the file read and kept as an import
record), the preview and the apply step, each as the Celery worker runs it
(`process_import_record`: the stored file read and its table taken from the cache the
upload filled, the import, the COMMIT, the record's figures saved); its rows, their audit
events and the record are deleted again (the provinces and counties, loaded once, stay).
Only that every row was created (or found unchanged) is asserted.
"""

from __future__ import annotations

import os
import statistics
import time


def _rows(n: int, start: int = 0, prefix: str = "基准湖南") -> list[list[object]]:
    from firms.identifiers import credit_code_check_character

    out = []
    for i in range(start, start + n):
        first17 = f"31430000E{i + 1:08d}"
        out.append(
            [
                first17 + credit_code_check_character(first17),
                f"{prefix}律师事务所{i}",
                "湖南省",
                "430102",
                "普通合伙律师事务所",
                i % 50,
                "否",
            ]
        )
    return out


def _floor(rows: list[list[object]], province: object) -> dict[str, float]:
    """What no import engine can avoid, timed alone on the same rows: the derived pinyin
    columns and the write itself with pghistory's audit trigger — Django's bulk_create
    (a multi-row INSERT) and core.bulk.bulk_insert (COPY, what imports use). Seconds."""
    from django.db import transaction

    from core.bulk import bulk_insert
    from core.pinyin import _cached_syllables, name_initials, name_pinyin
    from firms.models import LawFirm

    _cached_syllables.cache_clear()
    started = time.perf_counter()
    names = [(name_pinyin(str(r[1])), name_initials(str(r[1]))) for r in rows]
    out = {"pinyin": time.perf_counter() - started}
    _cached_syllables.cache_clear()
    for label in ("bulk_create", "copy"):
        firms = [
            LawFirm(credit_code=r[0], name=r[1], province=province, name_pinyin=p, name_initials=i)
            for r, (p, i) in zip(rows, names, strict=True)
        ]
        with transaction.atomic():
            started = time.perf_counter()
            if label == "copy":
                bulk_insert(LawFirm, firms, batch_size=1000)
            else:
                LawFirm.objects.bulk_create(firms, batch_size=1000)
            _check_deferred()
            out[label] = time.perf_counter() - started
            transaction.set_rollback(True)
    return out


def _check_deferred() -> None:
    """The foreign keys are DEFERRABLE INITIALLY DEFERRED: a real import checks them at
    COMMIT, which the bench (rolled back) never reaches — check them now."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


_PATH = ("upload", "preview", "apply")
_CLERK = "bench-e2e-ministry"
_E2E_PREFIX = "基准端到端"


def _remove_committed() -> None:
    """Delete what the committed runs wrote (also what an interrupted run left): the firms,
    their audit events (append-only for everyone else: the trigger is bypassed for this
    one statement) and the clerk's import records with their files."""
    import pgtrigger

    from core.models import ImportRecord
    from firms.models import LawFirm, LawFirmEvent

    firms = LawFirm.objects.filter(name__startswith=_E2E_PREFIX)
    with pgtrigger.ignore("firms.LawFirmEvent:append_only"):
        LawFirmEvent.objects.filter(pgh_obj_id__in=firms.values("pk")).delete()
    firms.delete()
    for record in ImportRecord.objects.filter(user__username=_CLERK):
        record.file.delete(save=False)
        record.delete()


def _end_to_end(user: object, data: bytes, n: int) -> dict[str, float]:
    """Upload, preview and apply one XLSX file as the admin and its worker do, committed;
    seconds per step. What was written is deleted again afterwards."""
    import io

    from accounts.import_records import create_import_record, process_import_record
    from core.models import ImportStatus
    from firms.resources import LawFirmResource

    out: dict[str, float] = {}
    record = None
    try:
        started = time.perf_counter()
        record = create_import_record(
            user=user,
            resource_class=LawFirmResource,
            upload=io.BytesIO(data),
            file_name="基准.xlsx",
        )
        out["upload"] = time.perf_counter() - started
        started = time.perf_counter()
        record = process_import_record(record_id=record.pk, apply=False)
        out["preview"] = time.perf_counter() - started
        assert record.status == ImportStatus.PREVIEWED, record.errors[:3]
        started = time.perf_counter()
        record = process_import_record(record_id=record.pk, apply=True)
        out["apply"] = time.perf_counter() - started
        assert record.status == ImportStatus.SUCCEEDED, record.errors[:3]
        assert record.rows_created == n, record.rows_created
    finally:
        _remove_committed()
    return out


def sizes() -> list[int]:
    """The file sizes to measure: BENCH_IMPORT_ROWS, one number or several ("10000,50000")."""
    raw = os.environ.get("BENCH_IMPORT_ROWS", "10000")
    return [int(part) for part in raw.split(",") if part.strip()] or [10000]


def main() -> None:
    from django.conf import settings
    from django.core.management import call_command

    settings.DEBUG = False  # measure like production: no query log kept in memory
    call_command("migrate", verbosity=0)
    measured: dict[int, dict[str, float]] = {}
    start = 0
    for n in sizes():
        measured[n], start = measure(n, start=start)
    if len(measured) > 1:
        print_scaling(measured)


def print_scaling(measured: dict[int, dict[str, float]]) -> None:
    """Each size's cost per row as a multiple of the smallest size's (1.00: linear)."""
    base = min(measured)
    print(f"per-row cost as a multiple of {base:,} rows' (linear: 1.00):")
    for n in sorted(measured):
        if n == base:
            continue
        ratios = [
            f"{step} {(measured[n][step] / n) / (measured[base][step] / base):.2f}x"
            for step in ("whole path", "upload", "preview", "apply")
        ]
        print(f"  {n:,} rows: " + ", ".join(ratios))


def measure(n: int, *, start: int = 0) -> tuple[dict[str, float], int]:
    """Run every case for a file of n rows and print the figures. Returns the medians of
    the clerk's committed path in seconds ("upload", "preview", "apply", "whole path") and
    the next unused credit-code number (pass it as `start` to the next call)."""
    import io

    from django.core.management import call_command
    from django.db import connection, transaction
    from openpyxl import Workbook

    from accounts.imports import run_import
    from accounts.models import Organisation, User
    from accounts.policy import Role
    from core.spreadsheets import read_table
    from firms.resources import LawFirmResource
    from regions.models import Province

    # every run leaves about 300,000 dead firm rows behind (rolled back); where autovacuum
    # is off (as on the CI machines) they pile up and the planner misjudges the scoped
    # queries: start from a vacuumed, analysed table as a maintained database would
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE firms_lawfirm, firms_lawfirmevent")
    headers = ["统一社会信用代码", "名称", "省份", "区县代码", "组织形式", "律师人数", "规模所"]

    def workbook(start: int, prefix: str = "基准湖南") -> bytes:
        # every case imports credit codes of its own: rows of an earlier case, rolled back,
        # stay in the unique index as dead entries until VACUUM and would slow the next
        # case's uniqueness checks on the same keys (no real import follows that)
        book = Workbook()
        sheet = book.active
        sheet.append(headers)
        for row in _rows(n, start, prefix):
            sheet.append(row)
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()

    class Done(Exception):
        pass

    class Counter:
        count = 0

        def __call__(self, execute, sql, params, many, context):
            self.count += 1
            return execute(sql, params, many, context)

    counter = Counter()
    rounds = int(os.environ.get("BENCH_IMPORT_ROUNDS", "3"))
    steps = (("preview", True), ("import", False), ("re-import", False))
    seconds: dict[tuple[str, str], list[float]] = {}
    floors: dict[str, list[float]] = {}
    queries: dict[tuple[str, str], int] = {}
    try:
        # the provinces and counties, reference data every import needs, stay loaded
        if not Province.objects.filter(code="43").exists():
            call_command("load_regions", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        with connection.execute_wrapper(counter), transaction.atomic():
            hunan = Province.objects.get(code="43")
            ministry = User.objects.create_user("bench-ministry", is_superuser=True)
            org = Organisation.objects.create(
                kind=Role.JUSTICE_DEPARTMENT, province=hunan, name="基准湖南司法厅"
            )
            provincial = User.objects.create_user("bench-hunan", organisation=org)
            users = (("ministry", ministry), ("湖南 department", provincial))

            class OneThread(LawFirmResource):
                pipelined = False

            # rounds interleave the floor and both users, so a slower spell of the machine
            # weighs on all of them alike; medians over the rounds
            for _round in range(rounds):
                start += n
                for name, value in _floor(_rows(n, start), hunan).items():
                    floors.setdefault(name, []).append(value)
                for label, user in users:
                    start += n
                    table = read_table(workbook(start))
                    with transaction.atomic():
                        for step, dry_run in steps:
                            before = counter.count
                            started = time.perf_counter()
                            outcome = run_import(
                                user=user,
                                resource_class=LawFirmResource,
                                table=table,
                                dry_run=dry_run,
                            )
                            _check_deferred()
                            seconds.setdefault((label, step), []).append(
                                time.perf_counter() - started
                            )
                            queries[(label, step)] = counter.count - before
                            assert not outcome.errors, outcome.errors[:3]
                            expected = 0 if step == "re-import" else n
                            assert outcome.created == expected, (step, outcome.created)
                        transaction.set_rollback(True)
                start += n
                table = read_table(workbook(start))
                with transaction.atomic():
                    started = time.perf_counter()
                    outcome = run_import(
                        user=ministry, resource_class=OneThread, table=table, dry_run=False
                    )
                    _check_deferred()
                    seconds.setdefault(("ministry", "import, one thread"), []).append(
                        time.perf_counter() - started
                    )
                    assert outcome.created == n, outcome.errors[:3]
                    transaction.set_rollback(True)
            raise Done
    except Done:
        pass

    # the clerk's path, committed: a user of its own, deleted again with what it imported
    _remove_committed()
    User.objects.filter(username=_CLERK).delete()
    clerk = User.objects.create_user(_CLERK, is_superuser=True)
    try:
        for _round in range(rounds):
            start += n
            for step, value in _end_to_end(clerk, workbook(start, _E2E_PREFIX), n).items():
                seconds.setdefault(("ministry", f"committed: {step}"), []).append(value)
    finally:
        clerk.delete()

    floor = {name: statistics.median(values) for name, values in floors.items()}
    print(f"{n:,} firms, median of {rounds} interleaved rounds (rows/s; the same rows' floor):")
    print(
        f"  floor: pinyin {n / floor['pinyin']:,.0f}; write with the audit trigger: "
        f"COPY {n / floor['copy']:,.0f}, bulk_create {n / floor['bulk_create']:,.0f}"
    )
    bare = floor["pinyin"] + floor["copy"]
    for (label, step), values in seconds.items():
        median = statistics.median(values)
        notes = [] if step == "committed: upload" else [f"{median / bare:.1f}x pinyin+COPY alone"]
        if (label, step) in queries:
            notes.append(f"{queries[(label, step)]} queries, COPY statements not counted")
        print(
            f"  {label:>16} {step:>18}: {n / median:>7,.0f} rows/s ({median:.2f} s"
            + "".join(f", {note}" if i == 0 else f"; {note}" for i, note in enumerate(notes))
            + ")"
        )
    path = {s: statistics.median(seconds[("ministry", f"committed: {s}")]) for s in _PATH}
    whole = sum(path.values())
    print(
        f"  the clerk's whole path, committed (upload + preview + apply): "
        f"{n / whole:,.0f} rows/s ({whole:.2f} s; apply step {n / path['apply']:,.0f} rows/s)"
    )
    pipelined = statistics.median(seconds[("ministry", "import")])
    alone = statistics.median(seconds[("ministry", "import, one thread")])
    print(f"  the second thread's COPY: the ministry's import takes {pipelined / alone:.2f}x")
    return {**path, "whole path": whole}, start + n


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault(
        "DATABASE_URL",
        os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pairing_bench"),
    )
    os.environ.setdefault("DEBUG", "false")
    import django

    django.setup()
    main()
