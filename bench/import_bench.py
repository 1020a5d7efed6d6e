"""Spreadsheet import throughput: 10,000 law firms from one XLSX file, through the same
engine as the admin (django-import-export, bulk mode, preloaded natural keys, full_clean
and the scope check per row), as a ministry user and as a provincial department user.

    python -m bench.import_bench            (or: python -m bench.run import_bench)
    BENCH_IMPORT_ROWS=50000 python -m bench.import_bench

Prints rows/s for a dry run (the preview), the import itself, and a re-import of the same
file (every row unchanged). Everything runs in a transaction that is rolled back, so the
database is left as it was; nothing is asserted.
"""

from __future__ import annotations

import os
import time


def _rows(n: int, start: int = 0) -> list[list[object]]:
    from firms.identifiers import credit_code_check_character

    out = []
    for i in range(start, start + n):
        first17 = f"31430000E{i + 1:08d}"
        out.append(
            [
                first17 + credit_code_check_character(first17),
                f"基准湖南律师事务所{i}",
                "湖南省",
                "430102",
                "普通合伙律师事务所",
                i % 50,
                "否",
            ]
        )
    return out


def _floor(rows: list[list[object]], province: object) -> None:
    """What no import engine can avoid: the derived pinyin columns and the INSERT itself
    (with pghistory's audit trigger), timed alone on the same rows."""
    import pgtrigger
    from django.db import transaction

    from core.pinyin import _cached_syllables, name_initials, name_pinyin
    from firms.models import LawFirm

    _cached_syllables.cache_clear()
    started = time.perf_counter()
    names = [(name_pinyin(str(r[1])), name_initials(str(r[1]))) for r in rows]
    pinyin_s = time.perf_counter() - started
    firms = [
        LawFirm(credit_code=r[0], name=r[1], province=province, name_pinyin=p, name_initials=i)
        for r, (p, i) in zip(rows, names, strict=True)
    ]
    timings = []
    for audited in (True, False):
        with transaction.atomic():
            started = time.perf_counter()
            if audited:
                LawFirm.objects.bulk_create(firms, batch_size=1000)
            else:
                with pgtrigger.ignore("firms.LawFirm:insert_insert"):
                    LawFirm.objects.bulk_create(firms, batch_size=1000)
            timings.append(time.perf_counter() - started)
            transaction.set_rollback(True)
        for firm in firms:
            firm.pk = None
            firm._state.adding = True
    n = len(rows)
    print(
        f"floor: pinyin {n / pinyin_s:,.0f} rows/s; bulk_create {n / timings[0]:,.0f} rows/s "
        f"with the audit trigger, {n / timings[1]:,.0f} without"
    )
    _cached_syllables.cache_clear()


def main() -> None:
    import io

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction
    from openpyxl import Workbook

    from accounts.imports import run_import
    from accounts.models import Organisation, User
    from accounts.policy import Role
    from core.spreadsheets import read_table
    from firms.resources import LawFirmResource
    from regions.models import Province

    settings.DEBUG = False  # measure like production: no query log kept in memory
    call_command("migrate", verbosity=0)
    n = int(os.environ.get("BENCH_IMPORT_ROWS", "10000"))
    headers = ["统一社会信用代码", "名称", "省份", "区县代码", "组织形式", "律师人数", "规模所"]

    def workbook(start: int) -> bytes:
        # every case imports credit codes of its own: rows of an earlier case, rolled back,
        # stay in the unique index as dead entries until VACUUM and would slow the next
        # case's uniqueness checks on the same keys (no real import follows that)
        book = Workbook()
        sheet = book.active
        sheet.append(headers)
        for row in _rows(n, start):
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
    try:
        with connection.execute_wrapper(counter), transaction.atomic():
            if not Province.objects.filter(code="43").exists():
                call_command("load_regions", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
            hunan = Province.objects.get(code="43")
            ministry = User.objects.create_user("bench-ministry", is_superuser=True)
            org = Organisation.objects.create(
                kind=Role.JUSTICE_DEPARTMENT, province=hunan, name="基准湖南司法厅"
            )
            provincial = User.objects.create_user("bench-hunan", organisation=org)

            _floor(_rows(n, 0), hunan)
            for case, (label, user) in enumerate(
                (("ministry", ministry), ("湖南 department", provincial)), start=1
            ):
                data = workbook(case * n)
                started = time.perf_counter()
                table = read_table(data)
                read_s = time.perf_counter() - started
                print(f"read {n} rows of XLSX: {n / read_s:,.0f} rows/s ({read_s:.2f} s)")
                with transaction.atomic():
                    for step, dry_run in (
                        ("preview", True),
                        ("import", False),
                        ("re-import", False),
                    ):
                        queries_before = counter.count
                        started = time.perf_counter()
                        outcome = run_import(
                            user=user, resource_class=LawFirmResource, table=table, dry_run=dry_run
                        )
                        # the foreign keys are DEFERRABLE INITIALLY DEFERRED: a real import
                        # checks them at COMMIT, which the bench (rolled back) never reaches
                        with connection.cursor() as cursor:
                            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
                        seconds = time.perf_counter() - started
                        assert not outcome.errors, outcome.errors[:3]
                        print(
                            f"{label:>16} {step:>9}: {n / seconds:>8,.0f} rows/s "
                            f"({seconds:.2f} s; created {outcome.created}, updated "
                            f"{outcome.updated}, unchanged {outcome.unchanged})"
                            + f", {counter.count - queries_before} queries"
                        )
                    transaction.set_rollback(True)
            raise Done
    except Done:
        pass


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
